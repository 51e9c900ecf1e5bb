"""グループ分け (meetings.tables): tables of 4–6 registered organizations with
complementary needs and offers together and kinds mixed, explained per table; the
organizer's edits saved; the API.

"Better than random" is measured: the proposal's total fit is compared with 200 random
splits of the same sizes (fixed seed) on organizations from three subjects."""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import make_need, make_offer, make_org, make_user
from meeting_support import make_meeting

from lib.errors import Conflict, Forbidden, Invalid
from meetings import services, tables
from meetings.models import TableGroup, TableSeat

pytestmark = pytest.mark.django_db

URL = "/api/v1/meetings/"

# Three subjects, six organizations each (one of each kind group, two NPOs), each with a
# need and an offer in its subject's words.
SUBJECTS = {
    "children": ["子育てひろば", "乳幼児", "保護者", "読み聞かせ", "育児相談", "親子遊び"],
    "disaster": ["避難訓練", "防災備蓄", "避難所運営", "災害ボランティア", "防災マップ", "救命"],
    "environment": ["海岸清掃", "ごみ拾い", "リサイクル", "生きもの調査", "植樹", "環境学習"],
}
KINDS = [
    "city_department",
    "npo_corporation",
    "neighborhood_association",
    "business",
    "school",
    "citizen_group",
]
RANDOM_SPLITS = 200


def _register(meeting, org, username):
    user = make_user(username, org)
    return services.register(meeting, org, user, 1)


@pytest.fixture
def exchange(people):
    """A 交流会 with 18 registered organizations from three subjects."""
    staff, dept = people["staff"], people["department"]
    meeting = make_meeting(dept, staff, capacity=100, title="分野別の交流会")
    subject_of = {}
    for field, words in SUBJECTS.items():
        for i, kind in enumerate(KINDS):
            org = make_org(f"{words[i]}の{kind}", kind)
            w = [words[(i + k) % 6] for k in range(6)]
            make_need(
                org, f"{w[0]}と{w[1]}の担い手を探しています",
                description=f"{w[0]}や{w[1]}、{w[2]}に一緒に取り組む団体を募集します。",
                fields=[field], areas=["t-kita"],
            )  # fmt: skip
            make_offer(
                org, f"{w[3]}と{w[4]}の活動",
                description=f"{w[3]}・{w[4]}・{w[5]}の経験があります。",
                fields=[field], areas=["t-kita"],
            )  # fmt: skip
            _register(meeting, org, f"u-{field}-{i}")
            subject_of[org.pk] = field
    return {**people, "meeting": meeting, "subject_of": subject_of}


def _random_groups(n: int, seed: int) -> list[list[list[int]]]:
    rng = random.Random(seed)
    sizes = tables.table_sizes(n)
    out = []
    for _ in range(RANDOM_SPLITS):
        order = list(range(n))
        rng.shuffle(order)
        groups, start = [], 0
        for size in sizes:
            groups.append(order[start : start + size])
            start += size
        out.append(groups)
    return out


# --- sizes ------------------------------------------------------------------------------------
def test_tables_of_four_to_six_as_even_as_possible():
    assert tables.table_sizes(0) == []
    for n in range(1, 4):
        assert tables.table_sizes(n) == [n]  # fewer than 4: one table
    assert tables.table_sizes(7) == [4, 3]  # the one count 4–6 cannot cover
    for n in [4, 5, 6, *range(8, 61)]:
        sizes = tables.table_sizes(n)
        assert sum(sizes) == n
        assert all(4 <= s <= 6 for s in sizes), (n, sizes)
        assert max(sizes) - min(sizes) <= 1, (n, sizes)
    assert tables.table_sizes(13) == [5, 4, 4]


# --- the heuristic on its own -------------------------------------------------------------------
def test_the_split_finds_planted_groups_and_beats_random_splits():
    """Three planted groups of six with strong ties inside, weak noise outside."""
    rng = np.random.default_rng(7)
    n = 18
    planted = [i % 3 for i in range(n)]  # interleaved, so index order gives nothing away
    weight = rng.uniform(0, 0.2, (n, n))
    for a in range(n):
        for b in range(n):
            if planted[a] == planted[b]:
                weight[a, b] += 1.0
    weight = (weight + weight.T) / 2
    np.fill_diagonal(weight, 0)
    groups = tables.split(weight, tables.table_sizes(n))
    assert sorted(sorted(g) for g in groups) == [list(range(k, n, 3)) for k in range(3)]
    best_random = max(tables.total(weight, g) for g in _random_groups(n, 2026))
    assert tables.total(weight, groups) > best_random
    assert tables.split(weight, tables.table_sizes(n)) == groups  # deterministic


def test_kinds_are_mixed_when_there_is_nothing_else_to_go_by(people):
    meeting = make_meeting(people["department"], people["staff"], capacity=50)
    kinds = ["city_department", "npo_corporation", "neighborhood_association", "business"]
    for i in range(12):
        org = make_org(f"団体{i:02d}", kinds[i % 4])
        _register(meeting, org, f"k{i}")
    split = tables.propose(meeting)
    assert [len(t.seats) for t in split.tables] == [6, 6]
    for table in split.tables:
        counts = {}
        for seat in table.seats:
            counts[seat.group] = counts.get(seat.group, 0) + 1
        # 3 of each kind over 2 tables: never all three at one table.
        assert max(counts.values()) <= 2, counts
    assert split.same_kind_pairs == 4  # the least possible: one pair of each kind
    assert any("団体の種類: 市の部署 " in line for line in split.tables[0].explanation)


# --- the proposal for a meeting -----------------------------------------------------------------
def test_the_proposal_seats_everyone_once_in_tables_of_four_to_six(exchange):
    split = tables.propose(exchange["meeting"])
    assert split.proposed is True
    assert [len(t.seats) for t in split.tables] == [6, 6, 6]
    seated = [s.organization_id for t in split.tables for s in t.seats]
    assert sorted(seated) == sorted(exchange["subject_of"])
    assert [t.number for t in split.tables] == [1, 2, 3]
    assert not TableGroup.objects.exists()  # a proposal is not saved


def test_the_proposal_puts_complementary_organizations_together(exchange):
    split = tables.propose(exchange["meeting"])
    for table in split.tables:
        subjects = {exchange["subject_of"][s.organization_id] for s in table.seats}
        assert len(subjects) == 1, subjects


def test_the_proposal_has_a_better_total_fit_than_random_splits(exchange):
    meeting = exchange["meeting"]
    people = tables.participants(meeting)
    fits = tables.pairwise_fit(meeting, people)
    proposal = tables.propose(meeting)
    index = {p.organization_id: i for i, p in enumerate(people)}
    groups = [[index[s.organization_id] for s in t.seats] for t in proposal.tables]
    random_fits = [tables.total(fits.matrix, g) for g in _random_groups(len(people), 2026)]
    assert proposal.fit == pytest.approx(tables.total(fits.matrix, groups), abs=1e-3)
    assert proposal.fit > max(random_fits)
    assert proposal.fit > 2 * float(np.mean(random_fits))
    # The objective with the kind penalty too.
    weight = fits.weight()
    random_objective = [tables.total(weight, g) for g in _random_groups(len(people), 2026)]
    assert tables.total(weight, groups) > max(random_objective)


def test_each_table_is_explained_by_its_best_pairs_naming_both_sides(exchange):
    split = tables.propose(exchange["meeting"])
    table = split.tables[0]
    names = {s.name for s in table.seats}
    pairs = [line for line in table.explanation if " ↔ " in line]
    assert 1 <= len(pairs) <= tables.PAIRS_EXPLAINED
    first = pairs[0]
    need_side, offer_side = first.split(" ↔ ")
    assert any(need_side.startswith(f"{name}のテーマ『") for name in names), first
    assert any(offer_side.startswith(f"{name}のできること『") for name in names), first
    assert "共通するキーワード" in first  # the engine's reason
    assert table.explanation[-1].startswith("団体の種類: ")


def test_organizations_without_matching_posts_still_get_a_table(people):
    meeting = make_meeting(people["department"], people["staff"], capacity=20)
    for i, kind in enumerate(["npo_corporation", "business", "school"]):
        _register(meeting, make_org(f"小さな会{i}", kind), f"s{i}")
    split = tables.propose(meeting)
    assert [len(t.seats) for t in split.tables] == [3]
    assert "重なりは見つかりませんでした" in split.tables[0].explanation[0]
    kinds = "団体の種類: NPO・市民活動団体 1・事業者 1・学校・大学 1"
    assert split.tables[0].explanation[-1] == kinds


def test_only_registered_organizations_are_seated(people):
    meeting = make_meeting(people["department"], people["staff"], capacity=4)
    regs = [_register(meeting, make_org(f"会{i}", "citizen_group"), f"r{i}") for i in range(5)]
    assert regs[4].status == "waitlisted"
    seated = {s.registration_id for t in tables.propose(meeting).tables for s in t.seats}
    assert seated == {r.pk for r in regs[:4]}


# --- saving the organizer's split ---------------------------------------------------------------
def _body(split) -> list[dict]:
    return [
        {"name": f"テーブル{t.number}", "registrations": [s.registration_id for s in t.seats]}
        for t in split.tables
    ]


def test_the_organizer_saves_and_edits_the_split(exchange):
    meeting, staff = exchange["meeting"], exchange["staff"]
    body = _body(tables.propose(meeting))
    # The organizer swaps two organizations between tables 1 and 2.
    body[0]["registrations"][0], body[1]["registrations"][0] = (
        body[1]["registrations"][0],
        body[0]["registrations"][0],
    )
    body[2]["name"] = "防災のテーブル"
    saved = tables.save_tables(meeting, staff, body)
    assert saved.proposed is False
    assert TableGroup.objects.filter(meeting=meeting).count() == 3
    assert TableSeat.objects.filter(table__meeting=meeting).count() == 18
    again = tables.saved_tables(meeting)
    assert [t.name for t in again.tables] == ["テーブル1", "テーブル2", "防災のテーブル"]
    assert [sorted(s.registration_id for s in t.seats) for t in again.tables] == [
        sorted(t["registrations"]) for t in body
    ]
    # The explanation is written for the edited tables, and kept as saved.
    assert again.tables[0].explanation == saved.tables[0].explanation
    assert again.tables[0].explanation == list(
        TableGroup.objects.get(meeting=meeting, number=1).explanation
    )
    # Saving again replaces the split.
    everyone = [rid for t in body for rid in t["registrations"]]
    tables.save_tables(meeting, staff, [{"registrations": everyone}])
    assert TableGroup.objects.filter(meeting=meeting).count() == 1
    assert tables.saved_tables(meeting).tables[0].name == ""


def test_every_registered_organization_is_seated_exactly_once(exchange):
    meeting, staff = exchange["meeting"], exchange["staff"]
    body = _body(tables.propose(meeting))
    missing = [dict(t) for t in body]
    missing[0] = {**missing[0], "registrations": missing[0]["registrations"][1:]}
    twice = [dict(t) for t in body]
    twice[1] = {
        **twice[1],
        "registrations": [*twice[1]["registrations"], body[0]["registrations"][0]],
    }
    stranger = make_org("申し込んでいない会", "citizen_group")
    other_meeting = make_meeting(exchange["department"], staff, title="別の会")
    foreign = _register(other_meeting, stranger, "stranger")
    wrong = [dict(t) for t in body]
    wrong[2] = {**wrong[2], "registrations": [*wrong[2]["registrations"], foreign.pk]}
    empty = [*body, {"name": "空き", "registrations": []}]
    for bad, words in (
        (missing, "席のない"),
        (twice, "二つ以上のテーブル"),
        (wrong, "参加確定の申込だけ"),
        (empty, "団体がありません"),
        ([], "一つ以上"),
    ):
        with pytest.raises(Invalid) as exc:
            tables.save_tables(meeting, staff, bad)
        assert "tables" in exc.value.field_errors()
        assert words in str(exc.value), (words, str(exc.value))
    assert not TableGroup.objects.exists()


def test_only_the_organizer_and_coordinators_save(exchange):
    meeting = exchange["meeting"]
    body = _body(tables.propose(meeting))
    with pytest.raises(Forbidden):
        tables.save_tables(meeting, exchange["member"], body)
    with pytest.raises(Forbidden):
        tables.propose_tables(meeting, exchange["member"])
    assert tables.save_tables(meeting, exchange["coordinator"], body).proposed is False


def test_a_cancelled_meeting_keeps_its_tables_but_is_not_split_again(exchange):
    meeting, staff = exchange["meeting"], exchange["staff"]
    body = _body(tables.propose(meeting))
    tables.save_tables(meeting, staff, body)
    meeting = services.cancel_meeting(meeting, staff, reason="台風のため")
    with pytest.raises(Conflict):
        tables.propose_tables(meeting, staff)
    with pytest.raises(Conflict):
        tables.save_tables(meeting, staff, body)
    assert tables.current_tables(meeting, staff).proposed is False


def test_a_saved_split_follows_cancellations_and_new_registrations(exchange):
    meeting, staff = exchange["meeting"], exchange["staff"]
    tables.save_tables(meeting, staff, _body(tables.propose(meeting)))
    first = tables.saved_tables(meeting).tables[0].seats[0]
    registration = meeting.registrations.get(pk=first.registration_id)
    services.cancel_registration(registration, staff)
    late = _register(meeting, make_org("遅れて申し込んだ会", "business"), "late")
    split = tables.saved_tables(meeting)
    seated = {s.registration_id for t in split.tables for s in t.seats}
    assert first.registration_id not in seated
    assert [p.registration_id for p in split.unseated] == [late.pk]


# --- the API ---------------------------------------------------------------------------------
def test_table_groups_through_the_api(api, exchange):
    meeting = exchange["meeting"]
    url = f"{URL}{meeting.pk}/table-groups/"
    assert api.get(url).status_code == 401
    api.force_authenticate(exchange["member"])
    assert api.get(url).status_code == 403
    assert api.post(f"{url}propose/").status_code == 403
    api.force_authenticate(exchange["staff"])
    answer = api.get(url)
    assert answer.status_code == 200
    data = answer.json()
    assert data["proposed"] is True and len(data["tables"]) == 3
    seat = data["tables"][0]["seats"][0]
    assert {"registration", "organization", "organization_name", "kind_group_label"} <= set(seat)
    proposal = api.post(f"{url}propose/").json()
    assert proposal["tables"] == data["tables"]
    body = {
        "tables": [
            {"name": f"T{t['number']}", "registrations": [s["registration"] for s in t["seats"]]}
            for t in data["tables"]
        ]
    }
    saved = api.put(url, body, format="json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["proposed"] is False
    answer = api.get(url).json()
    assert answer["proposed"] is False
    assert [t["name"] for t in answer["tables"]] == ["T1", "T2", "T3"]
    # Field-level errors.
    body["tables"][0]["registrations"] = body["tables"][0]["registrations"][1:]
    bad = api.put(url, body, format="json")
    assert bad.status_code == 400 and "tables" in bad.json()
    for registrations in (["x"], [10**30], []):
        bad = api.put(url, {"tables": [{"registrations": registrations}]}, format="json")
        assert bad.status_code == 400 and "tables" in bad.json()
    api.force_authenticate(exchange["coordinator"])
    assert api.get(url).status_code == 200
