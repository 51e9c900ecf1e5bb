"""Per-address and per-account rate limits on actions an attacker would repeat: sign-up,
password reset and interest requests (「この団体と話したい」). Logins are limited and locked
out by django-axes instead (settings.AXES_*).

A fixed window counted in Django's cache (the configured CACHES: shared by every web
process when it is Redis). The same limiter serves the web pages (a form error and HTTP
429) and the API (HTTP 429 with ``Retry-After``), so that a person cannot double their
allowance by switching between them.

When the shared cache cannot be reached (Redis down or unreachable), the limits degrade
instead of failing the request: the counts go to a per-process memory cache for
``RATELIMIT_FALLBACK_SECONDS`` (30 s by default) and a warning is logged; after that the
shared cache is tried again. While degraded, a limit holds per web process (with N
gunicorn processes, a client may get up to N times its allowance). Counts made during the
outage are not carried over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

log = logging.getLogger(__name__)
T = TypeVar("T")

# The counts while the shared cache is unreachable: this process's memory only.
_local = LocMemCache("tsunagu-ratelimit-fallback", {"MAX_ENTRIES": 10_000})
_lock = threading.Lock()
_shared_down_until = 0.0  # time.monotonic() until which the shared cache is not tried


def _fallback_seconds() -> float:
    return float(getattr(settings, "RATELIMIT_FALLBACK_SECONDS", 30))


def _counted(operation: Callable[[BaseCache], T]) -> T:
    """Run ``operation`` on the shared cache or, while that is unreachable, on this
    process's memory (logged once per outage window)."""
    global _shared_down_until
    if time.monotonic() < _shared_down_until:
        return operation(_local)
    try:
        return operation(cache)
    # Any failure of the cache server is an outage for the limiter: each client library
    # (redis-py, pymemcache…) raises its own errors, and a rate limit must never turn a
    # sign-up or a password reset into a 500.
    except Exception as exc:
        with _lock:
            _shared_down_until = time.monotonic() + _fallback_seconds()
        log.warning(
            "rate limits: the shared cache is unreachable (%s: %s); counting in this "
            "process for %.0f s",
            type(exc).__name__,
            exc,
            _fallback_seconds(),
        )
        return operation(_local)


def degraded() -> bool:
    """True while the limits are counted in this process only (the shared cache failed)."""
    return time.monotonic() < _shared_down_until


def reset_fallback() -> None:
    """Forget the local counts and try the shared cache again at once (tests)."""
    global _shared_down_until
    with _lock:
        _shared_down_until = 0.0
    _local.clear()


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
        names = [self._key(k) for k in keys if k]
        if not names:
            return False
        counts = _counted(lambda store: store.get_many(names))
        return any((counts.get(name) or 0) >= self.limit for name in names)

    def hit(self, *keys: object) -> None:
        """Count one action for each of ``keys``."""
        names = [self._key(k) for k in keys if k]

        def count(store: BaseCache) -> None:
            for key in names:
                if not store.add(key, 1, self.window):
                    try:
                        store.incr(key)
                    except ValueError:  # expired in between
                        store.add(key, 1, self.window)

        if names:
            _counted(count)


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
