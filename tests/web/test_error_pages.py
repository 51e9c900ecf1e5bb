"""Error pages a person can read: 400, 403, 404, 500 and a failed CSRF check in Japanese
(English on request), with the site's header and navigation; the 500 page even with the
database unreachable. Under /api/ every error is JSON, also with DEBUG on."""

from __future__ import annotations

import types
from unittest import mock

import pytest
from conftest import make_offer
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import path

from tsunagu import urls as project_urls


def boom(request):
    raise RuntimeError("a bug")


DATABASE = {"down": False}


def boom_and_database_gone(request):
    """The database goes away while the page is being made, then the page crashes."""
    DATABASE["down"] = True
    raise RuntimeError("a bug")


# The project's URLs plus pages and an API path that crash, with the project's handlers.
crashing_urls = types.ModuleType("crashing_urls")
crashing_urls.urlpatterns = [
    path("boom/", boom),
    path("boom/database/", boom_and_database_gone),
    path("api/v1/boom/", boom),
    *project_urls.urlpatterns,
]
for _name in ("handler400", "handler403", "handler404", "handler500"):
    setattr(crashing_urls, _name, getattr(project_urls, _name))

NAV = 'aria-label="メインメニュー"'
NAV_EN = 'aria-label="Main menu"'


@pytest.fixture
def crashing(settings):
    settings.ROOT_URLCONF = crashing_urls
    return Client(raise_request_exception=False)


def _has_site_frame(html: str, english: bool = False) -> None:
    assert (NAV_EN if english else NAV) in html, html[:500]
    assert 'href="/menu/"' in html and 'href="/terms/"' in html and 'href="/privacy/"' in html
    assert "/static/web/site.css" in html


# --------------------------------------------------------------------------- pages
def test_404_is_the_sites_japanese_page_not_djangos(client, db):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "ページが見つかりません" in html and "Not Found" not in html
    _has_site_frame(html)


def test_404_in_english(client, db):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 404 and "Page not found" in html
    _has_site_frame(html, english=True)


def test_403_shows_the_refusals_own_message(client, people):
    client.force_login(people["member"])
    response = client.get("/coord/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "コーディネーターだけが使えるページです。" in html and "403 Forbidden" not in html
    assert "このページを表示する権限がありません" in html
    _has_site_frame(html)
    # The signed-in person's own header (their name) is there: the page has its context.
    assert "member さん" in html
    english = client.get("/coord/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This page is for coordinators only." in english
    _has_site_frame(english, english=True)


def test_a_failed_csrf_check_says_what_to_do_in_the_readers_language(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "ページを再読み込みしてから、もう一度送信してください。" in html
    _has_site_frame(html)
    english = client.post("/accounts/login/", {}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "reload the page" in english


def test_400_for_a_bad_host_is_the_sites_page(client, db):
    response = client.get("/", HTTP_HOST="evil.example")
    html = response.content.decode()
    assert response.status_code == 400
    assert "リクエストを処理できませんでした" in html and "Bad Request" not in html
    _has_site_frame(html)
    english = client.get("/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="en")
    assert "could not be processed" in english.content.decode()


def test_413_for_a_form_too_large_is_the_sites_page(client, settings, db):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/accounts/login/", {"username": "x" * 2000})
    html = response.content.decode()
    assert response.status_code == 413 and "送信データが大きすぎます。" in html
    _has_site_frame(html)


def test_500_is_the_sites_page_in_japanese_and_english(crashing, db):
    response = crashing.get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "エラーが発生しました" in html and "a bug" not in html
    _has_site_frame(html)
    english = crashing.get("/boom/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Something went wrong" in english
    _has_site_frame(english, english=True)


def test_500_page_renders_with_the_database_unreachable(crashing, people):
    """A signed-in member with an unread notification: a page with the request's context
    would read the session, the user and the unread count; the 500 page reads nothing."""
    from notifications.services import notify

    notify([people["member"]], "test", "お知らせ")
    crashing.force_login(people["member"])
    assert "member さん" in crashing.get("/about/").content.decode()  # session warmed
    connect = BaseDatabaseWrapper.ensure_connection

    def ensure_connection(connection):
        if DATABASE["down"]:
            raise OperationalError("could not connect to server")
        return connect(connection)

    DATABASE["down"] = False
    try:
        with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", ensure_connection):
            response = crashing.get("/boom/database/")
    finally:
        DATABASE["down"] = False
    html = response.content.decode()
    assert response.status_code == 500, html[:500]
    assert "エラーが発生しました" in html and "member さん" not in html
    _has_site_frame(html)


# --------------------------------------------------------------------------- API
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_api_errors_are_json_even_with_debug_on(crashing, settings, people, debug):
    settings.DEBUG = debug
    offer = make_offer(people["npo"])

    missing = crashing.get("/api/v1/no-such-collection/")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert missing.json() == {"detail": "見つかりません。", "code": "not_found"}

    crashing.force_login(people["member"])
    not_allowed = crashing.delete(f"/api/v1/offers/{offer.pk}/")
    assert not_allowed.status_code == 405 and "detail" in not_allowed.json()

    crashed = crashing.get("/api/v1/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert crashed.status_code == 500 and crashed["Content-Type"] == "application/json"
    body = crashed.json()
    assert body["code"] == "server_error" and "a bug" not in crashed.content.decode()
    assert body["detail"].startswith("Something went wrong on the server")


def test_the_technical_404_stays_off_the_api_with_debug_on(client, settings, db):
    settings.DEBUG = True
    response = client.get("/api/v1/matches/abc/evaluations/")
    assert response["Content-Type"] == "application/json"
    assert "URLconf" not in response.content.decode()
