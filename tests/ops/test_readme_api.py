"""The README's "The API in one minute" runs as written for a newcomer: the code block is
read from README.md and run by bash (curl and python3, as on a newcomer's machine) against
a live server holding the demo city, only the address changed. An example that rots (a
demo login renamed, an area code gone, a field added to the API) fails here."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import _unavailable
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_URL = "http://127.0.0.1:8000"


def readme_api_example() -> str:
    """The first ``sh`` block under the README's "The API in one minute"."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## The API in one minute")
    assert len(section) == 2, "the README has no section 'The API in one minute'"
    found = re.search(r"```sh\n(.*?)```", section[1], re.S)
    assert found, "no ```sh block in 'The API in one minute'"
    return found.group(1)


def json_documents(text: str) -> Iterator:
    """The JSON answers printed one after another (curl prints no newline between them)."""
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return
        value, position = decoder.raw_decode(text, position)
        yield value


@pytest.mark.django_db(transaction=True)
def test_the_readme_api_example_runs_as_written(live_server):
    for program in ("curl", "python3", "bash"):
        if not shutil.which(program):  # what the README's reader runs it with
            _unavailable(f"{program} is not installed")
    from organizations.models import User
    from proposals.models import Offer

    call_command("load_demo", allow_insecure_passwords=True, quiet=True)
    script = readme_api_example()
    assert EXAMPLE_URL in script
    env = {k: v for k, v in os.environ.items() if k not in ("TOKEN", "ORG")}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(EXAMPLE_URL, live_server.url)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    areas, needs, offer = json_documents(result.stdout)

    # The area codes the example uses are among those it lists …
    codes = {area["code"] for area in areas}
    used = set(re.findall(r"area=([\w-]+)", script)) | set(
        re.findall(r'"areas": \["([\w-]+)"\]', script)
    )
    assert used and used <= codes, (used, sorted(codes))
    # … the search finds open themes about children there …
    assert needs["count"] >= 1, needs
    assert all("children" in need["fields"] for need in needs["results"])
    # … and the offer was created for the demo user's own organization.
    assert "id" in offer, offer
    npo = User.objects.get(username="demo-npo").memberships.get().organization
    saved = Offer.objects.get(pk=offer["id"])
    assert saved.organization == npo and saved.title == "シニア向けスマホ教室"
    assert offer["organization"] == npo.pk
