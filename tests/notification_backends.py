"""Email backends for the notifications tests: one that fails, one that fails a while."""

from __future__ import annotations

import smtplib

from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FailingBackend(LocmemBackend):
    """Refuses the first ``failures`` sends (class attribute; tests set it), then
    delivers to ``mail.outbox`` like locmem."""

    failures = 10**9
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("the mail server is down (test)")
        return super().send_messages(messages)


def reset(failures: int) -> None:
    FailingBackend.failures = failures
    FailingBackend.calls = 0
    mail.outbox = []
