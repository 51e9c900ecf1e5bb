"""マイページ: an organization's personal data — download everything (JSON) and ask for
deletion. Thin views over ``matching.privacy`` (``export``, ``erasure``); only the
organization's admins see them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from lib.dates import day_text
from matching.privacy import erasure, export
from organizations.models import DeletionRequest, Membership, Organization
from web.errors import field_errors


class DeletionRequestForm(forms.Form):
    reason = forms.CharField(
        label=_lazy("削除を希望する理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    confirm = forms.BooleanField(
        label=_lazy(
            "団体の連絡先・メンバーの氏名とメールアドレスが削除され、アカウントで"
            "ログインできなくなること、進行中の協働が中止されることを理解しました"
        )
    )


def _admin_organizations(user):
    return Organization.objects.filter(
        deleted_at__isnull=True,
        memberships__user=user,
        memberships__role=Membership.Role.ADMIN,
    ).order_by("name", "pk")


def _own_organization(request: HttpRequest, pk: int) -> Organization:
    org = get_object_or_404(Organization, pk=pk, deleted_at__isnull=True)
    if not export.is_organization_admin(request.user, org):
        raise Http404
    return org


def _page(request: HttpRequest, forms_by_org: dict | None = None, status: int = 200):
    rows = []
    for org in _admin_organizations(request.user):
        rows.append(
            {
                "organization": org,
                "pending": DeletionRequest.objects.filter(
                    organization=org, status=DeletionRequest.Status.PENDING
                ).first(),
                "form": (forms_by_org or {}).get(org.pk) or DeletionRequestForm(),
            }
        )
    return render(request, "member/privacy.html", {"rows": rows}, status=status)


@login_required
def privacy_home(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
def privacy_export(request: HttpRequest, pk: int) -> HttpResponse:
    org = _own_organization(request, pk)
    response = HttpResponse(
        export.export_json(org, user=request.user, request=request),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="tsunagu-organization-{pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def privacy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    org = _own_organization(request, pk)
    form = DeletionRequestForm(request.POST)
    if form.is_valid():
        try:
            req = erasure.request_deletion(org, request.user, form.cleaned_data["reason"])
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            for name, errors in field_errors(exc).items():
                form.add_error("reason" if name == "reason" else None, errors)
        else:
            messages.success(
                request,
                _(
                    "削除の請求を受け付けました。コーディネーターが%(due)sまでに対応し、"
                    "お知らせします。"
                )
                % {"due": day_text(req.due_on)},
            )
            return redirect("member-privacy")
    return _page(request, {org.pk: form}, status=400)
