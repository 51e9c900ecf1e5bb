"""The e-mail a delivery sends: rendered in the recipient's language from the
templates, with its deterministic Message-ID and one-click List-Unsubscribe headers, and
the signed unsubscribe tokens its links carry. Sending, retries and digests are in
``services``."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications import kinds as kind_registry
from notifications.models import Delivery

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
LANGUAGES = ("ja", "en")


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


# --- Rendering --------------------------------------------------------------------------
def language_of(user: Any) -> str:
    lang = getattr(user, "language", "ja") or "ja"
    return lang if lang in LANGUAGES else "en"


def site_url(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    base = str(_setting("TSUNAGU_BASE_URL", "http://localhost:8000")).rstrip("/")
    return f"{base}{path}" if path else base


def message_id(delivery: Delivery) -> str:
    """Deterministic per delivery: a resent message carries the same Message-ID, so
    duplicates are detectable (and MUAs thread them together)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "tsunagu.localhost"
    stamp = int(delivery.created_at.timestamp()) if delivery.created_at else 0
    return f"<tsunagu.delivery.{delivery.pk}.{stamp}@{domain}>"


def _kinds_of(delivery: Delivery) -> list[str]:
    if delivery.notification_id:
        return [delivery.notification.kind]
    return sorted(set(delivery.digest_items.values_list("kind", flat=True)))


def render_email(delivery: Delivery) -> tuple[str, str, str, str]:
    """(subject, text, html, unsubscribe URL) in the recipient's language."""
    user = delivery.recipient
    lang = language_of(user)
    kinds = _kinds_of(delivery)
    unsubscribe_url = site_url(
        reverse("notifications:unsubscribe", args=[make_unsubscribe_token(user, kinds)])
    )
    context: dict[str, Any] = {
        "user": user,
        "name": getattr(user, "display_name", "") or user.get_username(),
        "site_name": _setting("TSUNAGU_SITE_NAME", "つなぐ"),
        "site_url": site_url(""),
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": site_url("/my/notifications/settings/"),
    }
    if delivery.notification_id:
        n = delivery.notification
        template = "notification"
        context.update(
            notification=n, link=site_url(n.url) if n.url else "", kind_label=_label(n.kind)
        )
        subject_text = n.title
    else:
        template = "digest"
        items = list(delivery.digest_items.order_by("created_at", "pk"))
        context.update(
            items=[
                {"n": n, "link": site_url(n.url) if n.url else "", "kind_label": _label(n.kind)}
                for n in items
            ],
            count=len(items),
            period=delivery.digest_key.split(":", 1)[0],
        )
        subject_text = ""
    with translation.override(lang):
        text = render_to_string(f"notifications/email/{template}.{lang}.txt", context)
        html = render_to_string(f"notifications/email/{template}.{lang}.html", context)
        if template == "digest":
            subject_text = render_to_string(
                f"notifications/email/digest_subject.{lang}.txt", context
            ).strip()
    prefix = "【つなぐ】" if lang == "ja" else "[Tsunagu] "
    subject = " ".join(f"{prefix}{subject_text}".split())[:250]
    return subject, text, html, unsubscribe_url


def _label(kind: str) -> str:
    return kind_registry.label(kind)


# --- The password reset ---------------------------------------------------------------
# Sent through the outbox like a notification (services.queue_password_reset), rendered
# from Django's own templates for it (web/templates/registration/).
PASSWORD_RESET_KIND = "account.password_reset"
PASSWORD_RESET_SUBJECT = "registration/password_reset_subject.txt"
PASSWORD_RESET_BODY = "registration/password_reset_email.html"


def _password_reset_context(user: Any) -> dict[str, Any]:
    """What Django's reset templates use, with a token made now (valid for
    ``PASSWORD_RESET_TIMEOUT`` seconds, and only until the password or the last login
    changes: Django's ``default_token_generator``) and the site's address from
    ``TSUNAGU_BASE_URL``, never from a request's Host header."""
    base = urlsplit(site_url(""))
    return {
        "email": user.email,
        "user": user,
        "protocol": base.scheme,
        "domain": base.netloc,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "site_name": _setting("TSUNAGU_SITE_NAME", "つなぐ"),
    }


def _password_reset_message(delivery: Delivery) -> EmailMultiAlternatives:
    user = delivery.recipient
    context = _password_reset_context(user)
    with translation.override(language_of(user)):
        subject = "".join(render_to_string(PASSWORD_RESET_SUBJECT, context).splitlines())
        body = render_to_string(PASSWORD_RESET_BODY, context)
    return EmailMultiAlternatives(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        headers={
            "Message-ID": delivery.message_id or message_id(delivery),
            "X-Tsunagu-Delivery": str(delivery.pk),
        },
    )


def build_message(delivery: Delivery) -> EmailMultiAlternatives:
    if delivery.notification_id and delivery.notification.kind == PASSWORD_RESET_KIND:
        return _password_reset_message(delivery)
    subject, text, html, unsubscribe_url = render_email(delivery)
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [delivery.recipient.email],
        headers={
            "Message-ID": delivery.message_id or message_id(delivery),
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Tsunagu-Delivery": str(delivery.pk),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# --- Unsubscribe ------------------------------------------------------------------------
def make_unsubscribe_token(user: Any, kinds: Sequence[str]) -> str:
    return signing.dumps({"u": user.pk, "k": list(kinds)}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[Any, list[str]]:
    """The user and kinds a token was made for; ``signing.BadSignature`` if it was
    tampered with or names no user."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    try:
        user = get_user_model().objects.get(pk=data["u"])
        kinds = [str(k) for k in data["k"]]
    except (KeyError, TypeError, get_user_model().DoesNotExist) as exc:
        raise signing.BadSignature("unknown user") from exc
    if not kinds:
        raise signing.BadSignature("no kinds")
    return user, kinds
