from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from organizations.models import Organization
from proposals.models import Need, Offer
from proposals.views import public_posts

from .models import WorkerHeartbeat


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what is open now, and where to go next."""
    needs, offers = public_posts(Need), public_posts(Offer)
    context = {
        "organization_count": Organization.objects.filter(is_active=True).count(),
        "need_count": needs.count(),
        "offer_count": offers.count(),
        "recent_needs": needs.order_by("-created_at")[:10],
        "recent_offers": offers.order_by("-created_at")[:10],
    }
    return render(request, "tsunagu/home.html", context)


def about(request: HttpRequest) -> HttpResponse:
    """協働の進め方: how a collaboration goes here, step by step."""
    return render(request, "tsunagu/about.html")


def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: is the database reachable, and when
    did a worker last answer a ping?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:
        return JsonResponse({"database": "error", "error": type(exc).__name__}, status=503)
    beat = WorkerHeartbeat.objects.order_by("-seen_at").first()
    age = (timezone.now() - beat.seen_at).total_seconds() if beat else None
    return JsonResponse({"database": database, "worker_last_seen_seconds_ago": age})
