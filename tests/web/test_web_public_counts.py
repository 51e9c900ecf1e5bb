"""Numbers on the public pages that must agree: the start page's group count is the
directory's, and a filter badge counts only codes that exist."""

from __future__ import annotations

import re

import pytest
from conftest import make_org

pytestmark = pytest.mark.django_db


def test_home_counts_the_groups_the_directory_lists(client, people):
    waiting = make_org("確認待ちの会", "citizen_group")
    waiting.is_verified = False
    waiting.save()
    stopped = make_org("休止中の会", "citizen_group")
    stopped.is_active = False
    stopped.save()
    listed = client.get("/organizations/").content.decode()
    count = int(re.search(r'<p role="status">(\d+) 件</p>', listed).group(1))
    home = client.get("/").content.decode()
    assert re.search(rf"<strong>{count}</strong>登録団体", home)
    assert "確認待ちの会" not in listed and "休止中の会" not in listed


@pytest.mark.parametrize(
    ("url", "params", "name"),
    [
        ("/menu/", {"field": ["welfare", "no-such-field"]}, "field"),
        ("/menu/", {"form": ["cooperation", "bogus", "bogus2"]}, "form"),
        ("/organizations/", {"kind": ["npo_corporation", "no-such-kind"]}, "kind"),
        ("/organizations/", {"area": ["t-kita", "nowhere"]}, "area"),
    ],
)
def test_filter_badge_counts_only_codes_that_exist(client, city, people, url, params, name):
    html = client.get(url, params).content.decode()
    summary = re.search(rf'<summary id="summary_{name}">(.*?)</summary>', html, re.S).group(1)
    assert "1件選択" in summary
    assert "見つからないため、この条件を外して検索しました" in html
