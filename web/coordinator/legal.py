"""The coordinators' pages for 利用規約, プライバシーポリシー and 問い合わせ先 (/coord/legal/):
each document's current version, its history and how many people agreed to it, and the
form that publishes a new version (``legal.services.publish``: saving never changes a
published version). Behind ``coordinator_required``; mounted by the project's URLconf.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from legal import services
from legal.models import CONSENT_KINDS, Consent, Kind
from web.coordinator.helpers import coordinator_required
from web.errors import REFUSALS, report


class VersionForm(forms.Form):
    title = forms.CharField(label=_("題名"), max_length=services.TITLE_MAX)
    body = forms.CharField(
        label=_("本文"),
        max_length=services.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text=_(
            "段落は空行で区切ります。「# 」で始まる行は見出し、「## 」は小見出し、"
            "「- 」または「・」で始まる行は箇条書きになります。HTMLは使えません。"
        ),
    )
    title_en = forms.CharField(
        label=_("題名（英語）"), max_length=services.TITLE_MAX, required=False
    )
    body_en = forms.CharField(
        label=_("本文（英語）"),
        max_length=services.BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("空欄のときは、英語の画面にも日本語の本文を表示します。"),
    )
    summary = forms.CharField(
        label=_("変更の概要"),
        max_length=services.SUMMARY_MAX,
        required=False,
        help_text=_("利用者に再同意を求める画面に表示します。"),
    )
    minor = forms.BooleanField(
        label=_("軽微な修正（誤字の訂正など。利用者に再同意を求めない）"), required=False
    )

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if kind not in CONSENT_KINDS:
            del self.fields["minor"]  # nobody agrees to the contact page


def _kind(kind: str) -> str:
    if kind not in Kind.values:
        raise Http404
    return kind


@coordinator_required
def legal_documents(request: HttpRequest) -> HttpResponse:
    users = get_user_model().objects.filter(is_active=True).count()
    rows = []
    for kind in Kind.values:
        history = services.history(kind)
        required = next((d for d in history if d.requires_consent), None)
        agreed = (
            Consent.objects.filter(kind=kind, version__gte=required.version)
            .values("user")
            .distinct()
            .count()
            if required and kind in CONSENT_KINDS
            else None
        )
        rows.append(
            {
                "kind": kind,
                "label": Kind(kind).label,
                "current": history[0] if history else None,
                "required": required if kind in CONSENT_KINDS else None,
                "agreed": agreed,
                "history": history,
            }
        )
    return render(request, "coordinator/legal/list.html", {"rows": rows, "users": users})


@coordinator_required
def legal_edit(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    now = services.current(kind)
    if request.method == "POST":
        form = VersionForm(request.POST, kind=kind)
        if form.is_valid():
            data = form.cleaned_data
            try:
                doc = services.publish(
                    request.user,
                    kind,
                    title=data["title"],
                    body=data["body"],
                    title_en=data["title_en"],
                    body_en=data["body_en"],
                    summary=data["summary"],
                    minor=data.get("minor", False),
                )
            except REFUSALS as exc:
                report(request, exc, form)
            else:
                messages.success(
                    request,
                    gettext("「%(title)s」第%(version)s版を公開しました。")
                    % {"title": doc.title, "version": doc.version},
                )
                return redirect("coord-legal")
    else:
        initial = (
            {"title": now.title, "body": now.body, "title_en": now.title_en, "body_en": now.body_en}
            if now
            else {}
        )
        form = VersionForm(initial=initial, kind=kind)
    context = {"form": form, "kind": kind, "label": Kind(kind).label, "current": now}
    return render(request, "coordinator/legal/edit.html", context)


urlpatterns = [
    path("", legal_documents, name="coord-legal"),
    path("<str:kind>/edit/", legal_edit, name="coord-legal-edit"),
]
