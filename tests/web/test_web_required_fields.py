"""Required fields say so: a visible 必須 mark in the label and ``aria-required`` on the
input, from the one field template (``includes/_field.html``)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def _field(html: str, name: str) -> str:
    """The ``<div class="field">`` that holds the input called ``name``."""
    for block in re.findall(r'<div class="field[^"]*">.*?</div>', html, re.S):
        if f'name="{name}"' in block:
            return block
    raise AssertionError(name)


def test_required_fields_are_marked_and_optional_ones_are_not(client, people):
    client.force_login(people["coordinator"])
    html = client.get("/coord/slots/").content.decode()
    date = _field(html, "date")
    assert '<span class="req-mark">必須</span>' in date and 'aria-required="true"' in date
    place = _field(html, "place")
    assert "必須" not in place and "aria-required" not in place


def test_signup_marks_its_required_fields(client):
    html = client.get("/accounts/signup/").content.decode()
    marked = re.findall(r'<div class="field[^"]*">.*?</div>', html, re.S)
    required = [b for b in marked if re.search(r"<(input|select|textarea)[^>]* required", b)]
    assert required
    for block in required:
        assert "必須" in block and 'aria-required="true"' in block, block
