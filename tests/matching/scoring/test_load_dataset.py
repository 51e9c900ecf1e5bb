"""``manage.py load_dataset``: schema validation, loading, idempotence (matching.datasets)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from conftest import dev_dataset
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def dev() -> dict:
    return json.loads(dev_dataset().read_text(encoding="utf-8"))


def run(path: Path | str) -> str:
    out = io.StringIO()
    call_command("load_dataset", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path: Path, data: dict, name: str = "data.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def row_counts() -> dict[str, int]:
    from matching.models import RelevanceJudgment
    from organizations.models import Area, Organization
    from proposals.models import Need, Offer

    return {
        "areas": Area.objects.count(),
        "organizations": Organization.objects.count(),
        "needs": Need.objects.count(),
        "offers": Offer.objects.count(),
        "judgments": RelevanceJudgment.objects.count(),
    }


def test_loads_the_dev_set(dev):
    from matching.models import RelevanceJudgment
    from matching.scoring.datasets import area_code, city_area_code, dataset_source
    from organizations.models import Area, Organization
    from proposals.models import Need, Offer

    out = run(dev_dataset())
    source = dataset_source(dev["city"])
    n_judgments = sum(len(g) for g in dev["judgments"].values())

    assert Organization.objects.filter(source=source).count() == len(dev["organizations"])
    assert Need.objects.filter(source=source).count() == len(dev["needs"]) == 8
    assert Offer.objects.filter(source=source).count() == len(dev["offers"]) == 36
    assert RelevanceJudgment.objects.filter(source=source).count() == n_judgments
    assert "ニーズ (needs): 作成 8" in out
    assert "created 36, updated 0, unchanged 0" in out
    assert f"created {n_judgments}," in out

    root = Area.objects.get(code=city_area_code(dev["city"]))
    assert (root.name, root.level, root.parent) == (dev["city"], "city", None)
    assert sorted(root.children.values_list("code", flat=True)) == sorted(
        area_code(dev["city"], a["code"]) for a in dev["areas"]
    )

    # Offers: available_from/until → starts_on/ends_on, capacity, codes, status open.
    item = dev["offers"][0]
    offer = Offer.objects.get(source=source, external_id=item["id"])
    assert offer.starts_on == dt.date.fromisoformat(item["available_from"])
    assert offer.ends_on == dt.date.fromisoformat(item["available_until"])
    assert offer.capacity == item["capacity"]
    assert offer.status == "open"
    assert offer.organization.external_id == item["organization"]
    assert sorted(offer.fields.values_list("code", flat=True)) == sorted(item["fields"])
    assert sorted(offer.forms.values_list("code", flat=True)) == sorted(item["forms"])
    assert sorted(offer.areas.values_list("code", flat=True)) == sorted(
        area_code(dev["city"], c) for c in item["areas"]
    )

    # Needs: kind from the poster's kind.
    kinds = {o["id"]: o["kind"] for o in dev["organizations"]}
    expected = {
        "city_department": "administrative",
        "neighborhood_association": "community",
        "community_council": "community",
    }
    for item in dev["needs"]:
        need = Need.objects.get(source=source, external_id=item["id"])
        assert need.kind == expected.get(kinds[item["organization"]], "citizen")
        assert need.status == "open"
        assert need.starts_on == dt.date.fromisoformat(item["starts_on"])

    # Organizations: verified, no contact details.
    org = Organization.objects.get(source=source, external_id=dev["organizations"][0]["id"])
    assert org.is_verified and org.is_active
    assert (org.contact_name, org.contact_email, org.contact_phone, org.address) == ("",) * 4

    # Judgments: grades as in the file.
    need_id, grades = next(iter(dev["judgments"].items()))
    for offer_id, grade in grades.items():
        j = RelevanceJudgment.objects.get(
            need__external_id=need_id, offer__external_id=offer_id, need__source=source
        )
        assert j.grade == grade


def test_second_load_changes_nothing(dev):
    from matching.scoring.datasets import dataset_ids, load_dataset
    from proposals.models import Offer

    first = load_dataset(dev_dataset())
    counts = row_counts()
    stamps = dict(Offer.objects.values_list("pk", "updated_at"))

    out = run(dev_dataset())

    assert row_counts() == counts
    assert dict(Offer.objects.values_list("pk", "updated_at")) == stamps
    for kind in ("areas", "organizations", "needs", "offers", "judgments"):
        assert f"作成 0・更新 0・変更なし {counts[kind]}" in out
    assert "created 0, updated 0, unchanged 36" in out
    again = dataset_ids(dev)
    assert again == first.ids
    assert dataset_ids(dev["city"]) == first.ids


def test_reload_updates_changed_rows_and_drops_stale_judgments(dev, tmp_path):
    from matching.models import RelevanceJudgment
    from matching.scoring.datasets import load_dataset
    from proposals.models import Need

    load_dataset(dev_dataset())
    data = copy.deepcopy(dev)
    data["needs"][0]["title"] = "新しいタイトル"
    need_id = next(iter(data["judgments"]))
    removed = data["judgments"][need_id].popitem()

    report = load_dataset(write(tmp_path, data))

    assert (report.counts["needs"].updated, report.counts["needs"].unchanged) == (1, 7)
    assert report.counts["judgments"].deleted == 1
    assert Need.objects.get(pk=report.ids.needs[data["needs"][0]["id"]]).title == "新しいタイトル"
    assert not RelevanceJudgment.objects.filter(
        need_id=report.ids.needs[need_id], offer_id=report.ids.offers[removed[0]]
    ).exists()


def test_two_cities_do_not_collide(dev, tmp_path):
    from matching.scoring.datasets import load_dataset

    a = load_dataset(dev_dataset())
    other = copy.deepcopy(dev)
    other["city"] = "別の市"
    b = load_dataset(write(tmp_path, other))
    assert set(a.ids.areas.values()).isdisjoint(b.ids.areas.values())
    assert set(a.ids.offers.values()).isdisjoint(b.ids.offers.values())
    assert b.counts["offers"].created == 36


def _drop(path: list, data: dict) -> None:
    target = data
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]


def _set(path: list, value) -> callable:
    def change(data: dict) -> None:
        target = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


BROKEN = [
    pytest.param(lambda d: _drop(["offers", 3, "title"], d), "offers[3].title", id="missing-key"),
    pytest.param(lambda d: _drop(["judgments"], d), "judgments", id="missing-top-level"),
    pytest.param(
        _set(["offers", 3, "available_from"], "2025-13-01"),
        'offers[3].available_from: "2025-13-01"',
        id="bad-date",
    ),
    pytest.param(_set(["needs", 2, "ends_on"], "2025/03/31"), "needs[2].ends_on", id="date-format"),
    pytest.param(
        _set(["needs", 1, "ends_on"], "2000-01-01"), "needs[1].ends_on", id="ends-before-starts"
    ),
    pytest.param(_set(["fields", 0, "code"], "bogus"), "fields[0].code", id="unknown-field"),
    pytest.param(
        lambda d: d["needs"][0]["fields"].append("bogus"), "needs[0].fields[", id="undeclared"
    ),
    pytest.param(_set(["forms", 0, "code"], "gift"), "forms[0].code", id="unknown-form"),
    pytest.param(
        _set(["offers", 5, "organization"], "org-999"),
        "offers[5].organization",
        id="missing-org",
    ),
    pytest.param(_set(["offers", 0, "capacity"], "2"), "offers[0].capacity", id="wrong-type"),
    pytest.param(_set(["offers", 0, "capacity"], 0), "offers[0].capacity", id="capacity-0"),
    pytest.param(
        _set(["organizations", 1, "areas"], "kita"), "organizations[1].areas", id="not-list"
    ),
    pytest.param(_set(["organizations", 1, "kind"], "npo"), "organizations[1].kind", id="kind"),
    pytest.param(_set(["version"], 2), "version", id="version"),
    pytest.param(
        lambda d: d["judgments"]["need-01"].update({"offer-999": 2}),
        'judgments["need-01"]["offer-999"]',
        id="judgment-missing-offer",
    ),
    pytest.param(
        lambda d: d["judgments"]["need-01"].update({"offer-001": 4}),
        'judgments["need-01"]["offer-001"]',
        id="grade-out-of-range",
    ),
    pytest.param(
        lambda d: d["offers"].append(copy.deepcopy(d["offers"][0])), "offers[36].id", id="dup-id"
    ),
]


@pytest.mark.parametrize(("breakage", "named"), BROKEN)
def test_schema_errors_load_nothing(dev, tmp_path, breakage, named):
    data = copy.deepcopy(dev)
    breakage(data)
    before = row_counts()
    with pytest.raises(CommandError) as error:
        run(write(tmp_path, data))
    assert named in str(error.value)
    assert "nothing loaded" in str(error.value)
    assert row_counts() == before
    assert all(row_counts()[k] == 0 for k in ("organizations", "needs", "offers", "judgments"))


def test_error_message_names_the_bad_date(dev, tmp_path):
    data = copy.deepcopy(dev)
    data["offers"][3]["available_from"] = "2025-13-01"
    with pytest.raises(CommandError) as error:
        run(write(tmp_path, data))
    assert 'offers[3].available_from: "2025-13-01"' in str(error.value)
    assert "is not a date (YYYY-MM-DD)" in str(error.value)


def test_unreadable_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json", encoding="utf-8")
    with pytest.raises(CommandError, match="invalid JSON"):
        run(bad)
    with pytest.raises(CommandError, match="file not found"):
        run(tmp_path / "missing.json")
