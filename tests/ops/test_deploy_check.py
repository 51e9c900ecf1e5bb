"""`manage.py check --deploy` with production settings, in a subprocess.

Only the warnings in DELIBERATE may remain; each is a decision written down in
docs/decisions.md and docs/deployment.md. They are not silenced in settings,
so `check --deploy` keeps reporting them to whoever runs it.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# security.W021: SECURE_HSTS_PRELOAD is off. Preloading commits the whole domain (often the
# city's lg.jp domain) to HTTPS in browsers' source code; the city decides, not us.
DELIBERATE = {"security.W021"}

# Variables tsunagu/settings.py reads: removed from the inherited environment so a
# developer's shell does not change what is checked.
_SETTINGS_VARIABLES = (
    "TSUNAGU_VAR_DIR DEBUG SECRET_KEY ALLOWED_HOSTS CSRF_TRUSTED_ORIGINS DATABASE_URL "
    "CONN_MAX_AGE STATIC_ROOT EMAIL_URL DEFAULT_FROM_EMAIL SECURE_SSL_REDIRECT "
    "SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE SECURE_HSTS_SECONDS "
    "SECURE_HSTS_INCLUDE_SUBDOMAINS SECURE_HSTS_PRELOAD DATA_UPLOAD_MAX_MEMORY_SIZE "
    "CELERY_BROKER_URL CELERY_RESULT_BACKEND CELERY_TASK_DEFAULT_QUEUE LOG_LEVEL "
    "TSUNAGU_SITE_NAME DJANGO_SETTINGS_MODULE"
).split()

_CHECK_ID = re.compile(r"^\S*: \(([\w.]+)\)", re.MULTILINE)


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS_VARIABLES}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tsunagu.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "tsunagu.example.jp",
            "CSRF_TRUSTED_ORIGINS": "https://tsunagu.example.jp",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
            "TSUNAGU_VAR_DIR": str(tmp_path / "var"),
            "STATIC_ROOT": str(tmp_path / "static"),
            "EMAIL_URL": "smtp+tls://tsunagu%40example.jp:password@smtp.example.jp:587",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def check_deploy(env: dict[str, str]) -> tuple[set[str], str]:
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    ids = set(_CHECK_ID.findall(output))
    if result.returncode != 0:
        assert ids, f"check --deploy failed without reporting a check:\n{output}"
    return ids, output


def test_check_deploy_passes_with_production_settings(production_env):
    ids, output = check_deploy(production_env)
    unexpected = ids - DELIBERATE
    assert not unexpected, f"check --deploy reported {sorted(unexpected)}:\n{output}"


def test_check_deploy_catches_the_development_secret_key(production_env):
    del production_env["SECRET_KEY"]  # the settings' development default
    ids, output = check_deploy(production_env)
    assert "security.W009" in ids, output


def test_check_deploy_catches_the_env_example_placeholder_key(production_env):
    """An operator who copies .env.example and forgets SECRET_KEY is told so."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    production_env["SECRET_KEY"] = re.search(r"^SECRET_KEY=(.*)$", text, re.MULTILINE)[1]
    ids, output = check_deploy(production_env)
    assert "security.W009" in ids, output


def test_env_example_values_pass_check_deploy(production_env):
    """The values of .env.example itself (with a real key and a local database) are a
    valid production configuration."""
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if name not in ("SECRET_KEY", "TSUNAGU_VAR_DIR", "STATIC_ROOT", "DATABASE_URL"):
                production_env[name] = value
    ids, output = check_deploy(production_env)
    unexpected = ids - DELIBERATE
    assert not unexpected, f"check --deploy reported {sorted(unexpected)}:\n{output}"


def test_no_missing_migrations(production_env):
    result = manage(production_env, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
