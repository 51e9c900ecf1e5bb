"""The coordinators' pages for organizations: the sign-ups waiting for verification (the
registry import is in ``imports``). Behind ``coordinator_required``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from lib.pages import paginate
from matching.matches.audit import audit_actor
from organizations.models import Organization
from organizations.privacy import log_personal_data_access
from web.coordinator.helpers import coordinator_required


@coordinator_required
def unverified_organizations(request: HttpRequest) -> HttpResponse:
    waiting = (
        Organization.objects.filter(is_verified=False)
        .prefetch_related("fields", "areas")
        .order_by("created_at", "pk")
    )
    page = paginate(request, waiting)
    # Contacts are shown so that the coordinator can check the organization exists.
    log_personal_data_access(
        request.user, list(page.object_list), via="web:coord-unverified", request=request
    )
    return render(request, "coordinator/unverified.html", {"page": page})


@coordinator_required
@require_POST
def verify_organization(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(Organization, pk=pk)
    if org.is_verified:
        messages.info(request, gettext("「%(name)s」はすでに確認済みです。") % {"name": org.name})
    else:
        with audit_actor(request.user):
            org.is_verified = True
            org.save(update_fields=["is_verified", "updated_at"])
        messages.success(
            request, gettext("「%(name)s」を確認済みにしました。") % {"name": org.name}
        )
    return redirect("coord:unverified")
