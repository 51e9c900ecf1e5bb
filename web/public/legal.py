"""利用規約 (/terms/), プライバシーポリシー (/privacy/), 問い合わせ先 (/contact/) and the
consent page (/consent/) where a signed-in person agrees to a new version.

Mounted by the project's URLconf (``path("", include("web.public.legal"))``). The rules
are ``legal.services``'; ``legal.middleware`` sends people to the consent page.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from legal import services
from legal.models import Kind
from legal.text import blocks
from lib.errors import Invalid
from web.errors import REFUSALS, report


def document_page(request: HttpRequest, kind: str) -> HttpResponse:
    """The current version, or an earlier one with ``?version=N`` (what someone agreed to)."""
    asked = request.GET.get("version", "")
    if asked:
        if not asked.isdigit() or len(asked) > 9:
            raise Http404
        try:
            doc = services.version_of(kind, int(asked))
        except REFUSALS:
            raise Http404 from None
    else:
        doc = services.current(kind)
    context = {
        "kind": kind,
        "kind_label": Kind(kind).label,
        "doc": doc,
        "blocks": blocks(doc.shown_body) if doc else [],
        "versions": services.history(kind),
        "is_current": doc is not None and not asked,
    }
    return render(request, "legal/document.html", context)


class ConsentForm(forms.Form):
    agree = forms.BooleanField(
        label=_("上記の内容に同意します"),
        error_messages={"required": _("同意いただく場合は、チェックを入れてください。")},
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def consent_page(request: HttpRequest) -> HttpResponse:
    """The documents waiting for this person's consent, and the box to agree."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    waiting = services.pending(request.user)
    if not waiting:
        return redirect(_next(request))
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        shown = set(request.POST.getlist("document"))
        try:
            if shown != {str(doc.pk) for doc in waiting}:
                raise Invalid(services.STALE, field="version")
            services.agree(request.user, waiting, via="web")
        except REFUSALS as exc:
            report(request, exc, form)
        else:
            messages.success(request, gettext("同意を記録しました。ありがとうございます。"))
            return redirect(_next(request))
    context = {
        "form": form,
        "waiting": [(doc, blocks(doc.shown_body)) for doc in waiting],
        "next": _next(request),
    }
    return render(request, "legal/consent.html", context)


urlpatterns = [
    path("terms/", document_page, {"kind": Kind.TERMS}, name="legal-terms"),
    path("privacy/", document_page, {"kind": Kind.PRIVACY}, name="legal-privacy"),
    path("contact/", document_page, {"kind": Kind.CONTACT}, name="legal-contact"),
    path("consent/", consent_page, name="legal-consent"),
]
