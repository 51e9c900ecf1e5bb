"""Password reset with a rate limit and through the outbox.

The limit is per address and per e-mail address asked for, so that nobody can flood an
inbox with reset mails or probe the form at speed. The mail itself is not sent inside
the request: it is queued as a ``Delivery`` (``notifications.services.queue_password_reset``)
and sent by a worker with the outbox's retries, so a mail server that is down delays it
instead of losing it, and the person sees the usual page either way."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from lib import ratelimit
from notifications.services import queue_password_reset


class OutboxPasswordResetForm(auth_forms.PasswordResetForm):
    def save(self, *args: Any, **kwargs: Any) -> None:
        """Queue one reset mail for each active account with this address (Django's
        ``get_users``: none for an unknown address, and the page says the same)."""
        for user in self.get_users(self.cleaned_data["email"]):
            queue_password_reset(user)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm

    def form_valid(self, form) -> HttpResponse:
        keys = (
            ratelimit.client_ip(self.request),
            "email:" + form.cleaned_data["email"].strip().lower(),
        )
        if ratelimit.PASSWORD_RESET.is_over(*keys):
            # The same answer whether the address has an account or not.
            form.add_error(None, ratelimit.PASSWORD_RESET.message)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        ratelimit.PASSWORD_RESET.hit(*keys)
        return super().form_valid(form)
