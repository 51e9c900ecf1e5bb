"""Run the whole platform on one machine: web server, Celery worker and Celery beat.

    python manage.py up            # migrate, load the demo city, serve on 127.0.0.1:8000
    python manage.py up 0.0.0.0:8000   # the same, for the other PCs of the office network
    python manage.py up --debug    # for developers: Django's debug pages

With the default settings this needs no server at all: SQLite in WAL mode and Celery's
filesystem transport. The worker and beat are real processes, not eager mode.

The web server serves like production (``serving_mode``): DEBUG off, so an error shows the
site's own page and never Django's technical pages (which list every URL and setting);
static files through WhiteNoise; the host names of the address it serves on allowed. It is
plain HTTP (no TLS on a laptop), so there is no HTTPS redirect and no secure-only cookie.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string


def split_addrport(addrport: str) -> tuple[str, str]:
    """("0.0.0.0", "8000") from runserver's forms: "8000", "host:8000", "[::]:8000"."""
    if addrport.isdigit():
        return "127.0.0.1", addrport
    host, _sep, port = addrport.rpartition(":")
    return host.strip("[]"), port


def machine_addresses() -> set[str]:
    """This machine's names and IP addresses, as the other PCs of its network reach it."""
    found: set[str] = set()
    names = {socket.gethostname(), socket.getfqdn()}
    found |= {name for name in names if name}
    for name in names:
        try:
            found |= {info[4][0] for info in socket.getaddrinfo(name, None)}
        except OSError:
            pass
    # The address of the route out (a UDP "connect" sends nothing).
    for family, target in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect((target, 9))
                found.add(probe.getsockname()[0])
        except OSError:
            pass
    found |= _interface_addresses()
    return {a for a in found if "%" not in a}  # no link-local scope ids


def _interface_addresses() -> set[str]:
    """Every network interface's IPv4 address (Linux; elsewhere the lookups above)."""
    try:
        import fcntl
        import struct
    except ImportError:
        return set()
    found = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(
                    probe.fileno(), 0x8915, struct.pack("256s", name.encode()[:15])
                )  # SIOCGIFADDR
            except OSError:
                continue
            found.add(socket.inet_ntoa(packed[20:24]))
    return found


def allowed_hosts(addrport: str, extra: list[str]) -> list[str]:
    """What the server answers to: the configured hosts, loopback, the address it serves on
    and, when that is every interface (0.0.0.0 / ::), the machine's names and addresses."""
    host, _port = split_addrport(addrport)
    hosts = {*settings.ALLOWED_HOSTS, "localhost", "127.0.0.1", "[::1]", *extra}
    found = machine_addresses() if host in ("0.0.0.0", "::", "") else {host}
    hosts |= {f"[{a}]" if ":" in a else a for a in found}
    return sorted(hosts)


def serving_mode(addrport: str, *, debug: bool, extra_hosts: list[str]) -> None:
    """Settings for the web server of ``up``, before anything reads them (see the module's
    docstring); ``settings.py`` stays the one place for production's (DEBUG=false)."""
    settings.DEBUG = debug
    settings.ALLOWED_HOSTS = allowed_hosts(addrport, extra_hosts)
    # Plain HTTP on a laptop or an office network: no TLS to redirect to or to require.
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # WhiteNoise serves the apps' static files where they are (no copy to make and keep
    # in step), read once at start unless debugging; a storage with a manifest (the
    # settings of DEBUG=false) needs collectstatic, which handle() runs.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = debug


def needs_collectstatic() -> bool:
    """A storage with a manifest (hashed names) serves only what collectstatic wrote."""
    backend = import_string(settings.STORAGES["staticfiles"]["BACKEND"])
    return issubclass(backend, ManifestFilesMixin)


def browser_url(addrport: str) -> str:
    """The address to open in a browser on this machine for ``addrport``."""
    host, port = split_addrport(addrport)
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


# Ctrl+C: how long the worker (finishing the task in hand: a warm shutdown) and beat get,
# all together, before what is left is killed. One deadline for all children, however
# many and however slow the machine: the message of a killed task is delivered again.
STOP_SECONDS = 10.0
# Each child leads a process group of its own: Ctrl+C reaches `up` alone, which stops
# the children in order, and a kill reaches a worker's pool processes too.
OWN_GROUP: dict[str, Any] = {"process_group": 0} if hasattr(os, "killpg") else {}


def stop_children(
    children: list[subprocess.Popen], timeout: float = STOP_SECONDS, clock=time.monotonic
) -> None:
    """Stop the worker and beat: SIGTERM to all of them at once, wait for them in
    parallel until one deadline, then SIGKILL what is left with its pool processes."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = clock() + timeout
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - clock()))
        except subprocess.TimeoutExpired:
            pass
    for child in children:
        if child.poll() is None:
            try:
                if OWN_GROUP:
                    os.killpg(child.pid, signal.SIGKILL)
                else:
                    child.kill()
            except ProcessLookupError:
                pass
            child.wait()


class Command(BaseCommand):
    help = "ウェブ・ワーカー・スケジューラーをまとめて起動します (run web, worker and beat)."
    # Checked in handle(), once the serving mode is set (the checks build the templates).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-demo", action="store_true", help="デモ市を読み込まない")
        parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
        parser.add_argument(
            "--debug",
            action="store_true",
            help="開発者向け: DEBUG を有効にする (Django's debug pages; never on a network)",
        )
        parser.add_argument(
            "--host",
            action="append",
            default=[],
            metavar="NAME",
            help="このホスト名でも応答する (answer to this host name too; repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        serving_mode(options["addrport"], debug=options["debug"], extra_hosts=options["host"])
        self.check()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS("データベースを準備しました (database migrated)."))
        if not options["no_demo"]:
            # `up` is the demo: its published password is wanted here, DEBUG or not.
            call_command(
                "load_demo",
                stdout=self.stdout,
                allow_insecure_passwords=True,
                url=browser_url(options["addrport"]),  # the address it really serves on
            )
        if needs_collectstatic():
            call_command("collectstatic", interactive=False, verbosity=0)

        base = [sys.executable, "-m", "celery", "-A", "tsunagu.celery"]
        children = [
            subprocess.Popen(
                [
                    *base,
                    "worker",
                    "--loglevel=INFO",
                    "-c",
                    str(options["concurrency"]),
                    "--without-mingle",
                    "--without-gossip",
                    "-n",
                    "worker@%h",
                ],
                **OWN_GROUP,
            ),
            subprocess.Popen([*base, "beat", "--loglevel=INFO"], **OWN_GROUP),
        ]

        def stop_and_exit(*_: Any) -> None:
            stop_children(children)
            sys.exit(0)

        # A service manager's stop, or the terminal closing (the children, in groups of
        # their own, hear neither: `up` stops them).
        signal.signal(signal.SIGTERM, stop_and_exit)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, stop_and_exit)
        # Ctrl+C must stop everything even when started from a script that ignores SIGINT.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        time.sleep(1)
        host, port = split_addrport(options["addrport"])
        url = browser_url(options["addrport"])
        if host in ("0.0.0.0", "::", ""):
            others = sorted(a for a in machine_addresses() if "." in a and not a.startswith("127."))
            if others:
                self.stdout.write(
                    "ほかのパソコンからは (from other computers): "
                    + "  ".join(f"http://{a}:{port}/" for a in others)
                )
        mode = (
            "開発者モード: DEBUG 有効 (developer mode, DEBUG on: never on a network)"
            if options["debug"]
            else "本番と同じ表示: DEBUG 無効 (served like production; --debug for developers)"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nつなぐを起動しました: {url}  (API: {url}api/docs/  管理画面: {url}admin/)\n"
                f"{mode}\n"
                f"データベース: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
                f"ブローカー: {settings.CELERY_BROKER_URL.split(':', 1)[0]}; "
                "止めるには Ctrl+C (press Ctrl+C to stop)\n"
            )
        )
        os.environ.setdefault("DJANGO_RUNSERVER_HIDE_WARNING", "true")
        try:
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            stop_children(children)
