"""Password reset with a rate limit: per address and per e-mail address asked for, so that
nobody can flood an inbox with reset mails or probe the form at speed."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from lib import ratelimit


class PasswordResetView(auth_views.PasswordResetView):
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
