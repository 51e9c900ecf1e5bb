"""One upload limit: ``TSUNAGU_MAX_UPLOAD_MB`` is what the registry import accepts, and the
nginx example in docs/deployment.md lets exactly that (plus 1 MiB for the rest of the
multipart form) through; a larger file is refused on the page with the limit named."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

ROOT = Path(__file__).resolve().parents[2]


def _nginx_limit_mb() -> int:
    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    found = re.findall(r"client_max_body_size\s+(\d+)m;", text)
    assert len(found) == 1, found
    return int(found[0])


def test_the_nginx_example_lets_the_apps_largest_upload_through():
    assert _nginx_limit_mb() == settings.TSUNAGU_MAX_UPLOAD_MB + 1


def test_a_file_over_the_limit_is_refused_with_the_limit_named(client, people, settings):
    settings.TSUNAGU_MAX_UPLOAD_MB = 1
    client.force_login(people["coordinator"])
    big = SimpleUploadedFile("meibo.csv", b"x" * (1024 * 1024 + 1))
    response = client.post("/coord/import/", {"file": big})
    assert response.status_code == 400
    assert "ファイルが大きすぎます（1MBまで）" in response.content.decode()
    ok = SimpleUploadedFile("meibo.csv", "団体名,種別\nみどりの会,任意団体\n".encode())
    assert client.post("/coord/import/", {"file": ok}).status_code == 200
