"""Web security: the Content-Security-Policy, CSRF on every form, rate limits on password
reset and interest requests (sign-up: tests/test_web_signup.py; login lockout:
tests/test_web_auth.py), and HSTS / secure cookies with production settings
(`check --deploy` itself: tests/test_deploy_check.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_need
from django.core import mail
from django.test import Client

from lib import ratelimit
from matching.models import InterestRequest

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


# --------------------------------------------------------------------------- CSP
@pytest.mark.parametrize("url", ["/", "/menu/", "/accounts/login/", "/coord/kpi/", "/admin/"])
def test_pages_carry_a_policy_without_inline_script(client, people, url):
    client.force_login(people["coordinator"])
    response = client.get(url, follow=True)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    html = response.content.decode()
    # Every executable <script> is a file of ours; data blocks (json_script) do not run.
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        if 'type="application/json"' in attrs:
            continue
        assert "src=" in attrs and not body.strip(), (url, attrs, body[:80])
    assert not re.search(r"\son[a-z]+\s*=", html), url  # no inline event handlers
    assert "javascript:" not in html


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_api_docs_work_under_the_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert _policy(response)["script-src"] == ["'self'"]
    html = response.content.decode()
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in attrs and not body.strip(), (url, body[:80])
    if url == "/api/docs/":  # Swagger UI's set-up script, served from our own origin
        script = re.search(r'<script src="([^"]*\?script=[^"]*)"', html)[1]
        js = client.get(script.replace("&amp;", "&"))
        assert js.status_code == 200 and "SwaggerUIBundle" in js.content.decode()


# --------------------------------------------------------------------------- CSRF
TEMPLATE_DIRS = [ROOT / "web" / "templates", ROOT / "notifications" / "templates"]
# Forms that post without a session, authorized by a signed token in their URL instead.
CSRF_EXEMPT_FORMS = {"unsubscribe.ja.html", "unsubscribe.en.html"}


def _post_forms():
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            for form in re.findall(r"<form\b[^>]*>.*?</form>", text, re.S | re.I):
                if re.search(r'method\s*=\s*"post"', form, re.I):
                    yield path, form


def test_every_post_form_in_the_templates_carries_a_csrf_token():
    forms = list(_post_forms())
    assert len(forms) > 15  # the scan found the forms
    missing = [
        str(path.relative_to(ROOT))
        for path, form in forms
        if "{% csrf_token %}" not in form and path.name not in CSRF_EXEMPT_FORMS
    ]
    assert not missing


@pytest.mark.parametrize(
    "url,data",
    [
        ("/accounts/login/", {"username": "member", "password": "pass-Tsunagu-2026"}),
        ("/accounts/password_reset/", {"email": "member@example.jp"}),
        ("/my/needs/new/", {"title": "x"}),
        ("/coord/rescore/", {}),
    ],
)
def test_csrf_is_enforced_on_forms(people, url, data):
    client = Client(enforce_csrf_checks=True)
    if url.startswith(("/my/", "/coord/")):
        client.force_login(people["member" if url.startswith("/my/") else "coordinator"])
    assert client.post(url, data).status_code == 403
    client.get(url)
    token = client.cookies["csrftoken"].value
    assert client.post(url, {**data, "csrfmiddlewaretoken": token}).status_code != 403


def test_session_authenticated_api_writes_need_csrf(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["member"])
    response = client.post("/api/v1/notifications/read_all/", {}, content_type="application/json")
    assert response.status_code == 403


# --------------------------------------------------------------------------- rate limits
def test_password_reset_is_rate_limited_per_address_and_per_email(client, people):
    people["member"].email = "member@example.jp"
    people["member"].save()
    for _ in range(ratelimit.PASSWORD_RESET.limit):
        response = client.post("/accounts/password_reset/", {"email": "member@example.jp"})
        assert response.status_code == 302
    sent = len(mail.outbox)
    response = client.post("/accounts/password_reset/", {"email": "member@example.jp"})
    assert response.status_code == 429
    assert "多すぎます" in response.content.decode()
    assert len(mail.outbox) == sent
    # Another address asking for the same e-mail is refused too (no inbox flooding).
    other = client.post(
        "/accounts/password_reset/", {"email": "MEMBER@example.jp"}, REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 429


def test_interest_requests_are_rate_limited_on_the_web_and_the_api(client, api, people):
    needs = [
        make_need(people["department"], title=f"テーマ{i}")
        for i in range(ratelimit.INTEREST_REQUEST.limit + 2)
    ]
    client.force_login(people["member"])
    api.force_authenticate(people["member"])
    org = people["npo"].pk
    for need in needs[: ratelimit.INTEREST_REQUEST.limit]:
        response = client.post(
            f"/my/needs/{need.pk}/interest/", {"organization": org, "message": "話したい"}
        )
        assert response.status_code == 302
    over = needs[ratelimit.INTEREST_REQUEST.limit]
    response = client.post(
        f"/my/needs/{over.pk}/interest/", {"organization": org, "message": "話したい"}
    )
    assert response.status_code == 429
    assert "多すぎます" in response.content.decode()
    # The API shares the allowance: 429 with a Japanese message and Retry-After.
    response = api.post(
        "/api/v1/interest-requests/",
        {"organization": org, "need": needs[-1].pk, "message": "API"},
        format="json",
    )
    assert response.status_code == 429
    assert "多すぎます" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert InterestRequest.objects.count() == ratelimit.INTEREST_REQUEST.limit


def test_api_interest_request_within_the_limit_is_created(api, people):
    need = make_need(people["department"])
    api.force_authenticate(people["member"])
    response = api.post(
        "/api/v1/interest-requests/",
        {"organization": people["npo"].pk, "need": need.pk, "message": "話したい"},
        format="json",
    )
    assert response.status_code == 201, response.content


# --------------------------------------------------------------------------- production
PRODUCTION_PROBE = """
from django.conf import settings
from django.test import Client
host = {"host": "tsunagu.example.jp"}
r = Client().get("/api/v1/fields/", secure=True, headers=host)
print("STATUS", r.status_code)
print("HSTS", r.get("Strict-Transport-Security"))
print("CSP", r.get("Content-Security-Policy"))
r2 = Client().get("/api/v1/fields/", headers=host)
print("REDIRECT", r2.status_code, r2.get("Location"))
print("COOKIES", settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,
      settings.SESSION_COOKIE_HTTPONLY)
"""


def test_production_settings_send_hsts_csp_and_secure_cookies(tmp_path):
    from test_deploy_check import production_env

    env = production_env.__wrapped__(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
    assert lines.get("STATUS") == "200", out.stdout + out.stderr
    assert lines["HSTS"].startswith("max-age=31536000")
    assert (
        "script-src 'self'" in lines["CSP"]
        and "unsafe-inline" not in lines["CSP"].split("script-src")[1].split(";")[0]
    )
    assert lines["REDIRECT"].startswith("301 https://")
    assert lines["COOKIES"] == "True True True"
