"""``manage.py grant_coordinator USERNAME [--revoke]``: make someone a coordinator (or not).

The same switch as the 「コーディネーター」 checkbox in the admin's user form: it sets
``User.is_coordinator``; the coordinator group and admin access follow (tsunagu/roles.py).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tsunagu.roles import grant_coordinator


class Command(BaseCommand):
    help = "Grant (or with --revoke, take away) the coordinator role."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args, username: str, revoke: bool, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        grant_coordinator(user, not revoke)
        state = "no longer a coordinator" if revoke else "a coordinator"
        self.stdout.write(f"{username} is now {state} (admin access: {user.is_staff}).")
