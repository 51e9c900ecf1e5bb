"""The start page (what is open now) and 協働の進め方 (how a collaboration goes here)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from proposals.models import Need, Offer
from web.public.meetings import upcoming_meetings, with_seats
from web.public.organizations import public_organizations
from web.public.posts import public_posts


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what is open now, and where to go next."""
    needs, offers = public_posts(Need), public_posts(Offer)
    context = {
        # The directory's own rule (active and verified), so the two numbers agree.
        "organization_count": public_organizations().count(),
        "need_count": needs.count(),
        "offer_count": offers.count(),
        "recent_needs": needs.order_by("-created_at")[:10],
        "recent_offers": offers.order_by("-created_at")[:10],
        # 近日の交流の場: the next three published meetings.
        "next_meetings": with_seats(upcoming_meetings().order_by("starts_at", "pk")[:3]),
    }
    return render(request, "public/home.html", context)


def about(request: HttpRequest) -> HttpResponse:
    """協働の進め方: how a collaboration goes here, step by step."""
    return render(request, "public/about.html")
