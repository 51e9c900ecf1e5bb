"""Per-address and per-account rate limits on actions an attacker would repeat: sign-up,
password reset and interest requests (「この団体と話したい」). Logins are limited and locked
out by django-axes instead (settings.AXES_*).

A fixed window counted in Django's cache (the configured CACHES: shared by every web
process when it is Redis). The same limiter serves the web pages (a form error and HTTP
429) and the API (HTTP 429 with ``Retry-After``), so that a person cannot double their
allowance by switching between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.helpers import get_client_ip_address
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions


def client_ip(request: HttpRequest) -> str:
    """The client's address, resolved as django-axes does for logins (AXES_IPWARE_* behind
    a reverse proxy)."""
    return get_client_ip_address(request) or "unknown"


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` actions named ``name`` per key (an address, an account) per
    ``window`` seconds."""

    name: str
    limit: int
    window: int
    message: str

    def _key(self, key: object) -> str:
        return f"tsunagu:ratelimit:{self.name}:{key}"

    def is_over(self, *keys: object) -> bool:
        """True if any of ``keys`` has used up its allowance."""
        return any((cache.get(self._key(k)) or 0) >= self.limit for k in keys if k)

    def hit(self, *keys: object) -> None:
        """Count one action for each of ``keys``."""
        for k in keys:
            if not k:
                continue
            key = self._key(k)
            if not cache.add(key, 1, self.window):
                try:
                    cache.incr(key)
                except ValueError:  # expired in between
                    cache.add(key, 1, self.window)


class RateLimited(exceptions.APIException):
    """The API's answer over a limit: 429, the limit's message, ``Retry-After``."""

    status_code = 429
    default_code = "throttled"

    def __init__(self, limit: Limit) -> None:
        super().__init__(limit.message)
        self.wait = limit.window  # REST framework sends it as Retry-After


SIGNUP = Limit(
    "signup",
    limit=5,
    window=60 * 60,
    message=_(
        "この接続元からの登録が多すぎます。しばらく時間をおいてから、もう一度お試しください。"
    ),
)
PASSWORD_RESET = Limit(
    "password-reset",
    limit=5,
    window=60 * 60,
    message=_(
        "パスワード再設定の申し込みが多すぎます。しばらく時間をおいてから、もう一度お試しください。"
    ),
)
INTEREST_REQUEST = Limit(
    "interest-request",
    limit=20,
    window=60 * 60,
    message=_("紹介の依頼が多すぎます。しばらく時間をおいてから、もう一度お試しください。"),
)
