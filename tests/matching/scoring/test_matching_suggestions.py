"""Suggestions through the adapter and the API: ranking, reasons, permissions, lifecycle."""

from __future__ import annotations

import pytest
from conftest import make_need, make_offer, make_org
from django.core.management import call_command

from matching.models import MatchingProfile, Suggestion, SynonymGroup
from matching.scoring import adapter

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(people):
    """A department theme about watching over elderly people, and three offers."""
    dept, npo, group = people["department"], people["npo"], people["group"]
    need = make_need(
        dept,
        title="一人暮らし高齢者の見守り活動",
        description="団地で暮らす一人暮らしの高齢者を訪問し、孤立を防ぐ見守りの担い手を探しています。",
        fields=["welfare"], areas=["t-kita"], forms=["cooperation", "commission"],
    )  # fmt: skip
    good = make_offer(
        npo,
        title="シニアの孤立を防ぐ訪問と声かけ",
        description="ボランティアがお年寄りのお宅を定期的に訪問し、安否確認と話し相手をします。",
        fields=["welfare"], areas=["t-kita"], forms=["cooperation"],
    )  # fmt: skip
    far = make_offer(
        group,
        title="子育てサロンの運営",
        description="乳幼児と保護者が集まるサロンを毎週開いています。",
        fields=["children"], areas=["t-minami"], forms=["cooperation"],
    )  # fmt: skip
    wrong_form = make_offer(
        group,
        title="高齢者の見守り訪問の情報交換会",
        description="高齢者の見守りについて情報交換をする会を開いています。",
        fields=["welfare"], areas=["t-kita"], forms=["endorsement"],
    )  # fmt: skip
    return {"need": need, "good": good, "far": far, "wrong_form": wrong_form, **people}


def test_synonyms_bring_together_different_wording(scene):
    found = adapter.rank_for_need(scene["need"])
    assert found, "the good partner must be suggested"
    best = found[0]
    assert int(best.offer_id) == scene["good"].pk
    assert any("類義語" in r and "シニア" in r for r in best.reasons), best.reasons
    assert abs(sum(best.breakdown().values()) - best.score) < 1e-9


def test_hard_filters_same_org_and_no_shared_form(scene):
    same_org = make_offer(
        scene["department"],
        title="高齢者見守り",
        description="高齢者の見守り",
        forms=["cooperation"],
    )
    found = {int(s.offer_id) for s in adapter.rank_for_need(scene["need"])}
    assert scene["wrong_form"].pk not in found  # 後援 only: no overlap with 事業協力/委託
    assert same_org.pk not in found
    # switch the form filter off in the profile: the pair comes back, with a weakness
    MatchingProfile.objects.filter(is_active=True).update(require_form_overlap=False)
    found = adapter.rank_for_need(scene["need"], top_k=10)
    wrong = [s for s in found if int(s.offer_id) == scene["wrong_form"].pk]
    assert wrong and any("協働形態" in w for w in wrong[0].weaknesses)


def test_profile_weights_change_the_ranking_and_are_recorded(scene):
    adapter.rescore_need(scene["need"].pk)
    row = Suggestion.objects.get(need=scene["need"], offer=scene["good"])
    assert row.weights["text"] == pytest.approx(0.40)
    assert row.profile_name == "標準" and row.engine_version.startswith("tsunagu-engine/")
    MatchingProfile.objects.filter(is_active=True).update(w_text=0.0, w_reciprocity=0.0)
    adapter.rescore_need(scene["need"].pk)
    row.refresh_from_db()
    assert row.weights["text"] == 0.0
    assert row.breakdown()["text"] == 0.0


def test_coordinators_synonyms_are_used(scene):
    need = make_need(
        scene["department"], title="ビオトープの再生", description="ビオトープを再生したい。",
        forms=["cooperation"],
    )  # fmt: skip
    offer = make_offer(
        scene["npo"], title="トンボ池づくり", description="トンボ池づくりの経験があります。",
        forms=["cooperation"],
    )  # fmt: skip

    def synonym_reason():
        found = [s for s in adapter.rank_for_need(need, top_k=5) if int(s.offer_id) == offer.pk]
        return found and any("ビオトープ" in r and "トンボ池" in r for r in found[0].reasons)

    assert not synonym_reason()
    SynonymGroup.objects.create(terms="ビオトープ、トンボ池")
    assert synonym_reason()


def test_closing_a_post_removes_its_suggestions(scene, api):
    adapter.rescore_need(scene["need"].pk)
    assert Suggestion.objects.filter(need=scene["need"]).exists()
    api.force_authenticate(scene["staff"])
    response = api.patch(f"/api/v1/needs/{scene['need'].pk}/", {"status": "closed"}, format="json")
    assert response.status_code == 200
    assert not Suggestion.objects.filter(need=scene["need"]).exists()
    assert adapter.rank_for_need(scene["need"]) == []


def test_rescoring_twice_keeps_one_row_per_pair(scene):
    adapter.rescore_need(scene["need"].pk)
    adapter.rescore_offer(scene["good"].pk)
    adapter.rescore_need(scene["need"].pk)
    pairs = list(Suggestion.objects.values_list("need_id", "offer_id"))
    assert len(pairs) == len(set(pairs)) >= 1


def test_suggestions_api_for_owners_and_coordinators_only(scene, api):
    adapter.rescore_need(scene["need"].pk)
    url = f"/api/v1/needs/{scene['need'].pk}/suggestions/"
    assert api.get(url).status_code == 401
    api.force_authenticate(scene["other"])
    assert api.get(url).status_code == 403
    for who in ("staff", "coordinator"):
        api.force_authenticate(scene[who])
        response = api.get(url)
        assert response.status_code == 200
        first = response.json()["results"][0]
        assert first["offer"] == scene["good"].pk and first["rank"] == 1
        assert first["reasons"] and "breakdown" in first
        assert sum(first["breakdown"].values()) == pytest.approx(first["score"], abs=1e-5)
        assert {c["label"] for c in first["components"]} >= {"内容の近さ", "活動地域"}
    assert api.get("/api/v1/needs/999999/suggestions/").status_code == 404


def test_offer_side_suggestions(scene, api):
    adapter.rescore_offer(scene["good"].pk)
    api.force_authenticate(scene["member"])
    rows = api.get(f"/api/v1/offers/{scene['good'].pk}/suggestions/").json()["results"]
    assert [r["need"] for r in rows] == [scene["need"].pk]


def test_rescore_endpoints_are_for_coordinators(scene, api):
    api.force_authenticate(scene["member"])
    assert api.post("/api/v1/matching/rescores/").status_code == 403
    assert api.get("/api/v1/matching/rescores/").status_code == 403
    api.force_authenticate(scene["coordinator"])
    response = api.post("/api/v1/matching/rescores/")
    assert response.status_code == 202
    run = api.get(f"/api/v1/matching/rescores/{response.json()['id']}/").json()
    assert run["status"] == "pending" and run["percent_done"] == 0


@pytest.mark.parametrize(
    "title, description",
    [
        ("", "説明だけ"),
        ("😀🎉✨", "🙏🙏🙏"),
        ("！！！？？？", "・・・＃＃＃"),
        ("English only title", "Mixed 日本語 and English ＡＢＣ ｱｲｳ text"),
        ("長い" * 100, "とても長い説明。" * 600),
    ],
)
def test_odd_texts_are_scored_without_errors(people, title, description):
    need = make_need(people["department"], title=title or "x", description=description,
                     forms=["cooperation"])  # fmt: skip
    offer = make_offer(people["npo"], title=title or "y", description=description,
                       forms=["cooperation"])  # fmt: skip
    for s in adapter.rank_for_need(need, top_k=5) + adapter.rank_for_offer(offer, top_k=5):
        assert 0.0 <= s.score <= 1.0
        assert abs(sum(s.breakdown().values()) - s.score) < 1e-9


def test_posts_in_another_city_are_not_suggested(scene):
    from organizations.models import Area

    other_city = Area.objects.create(code="o-city", name="別の市", level="city")
    Area.objects.create(code="o-ward", name="別の区", level="ward", parent=other_city)
    elsewhere = make_offer(
        make_org("別の市の団体"),
        title="シニアの孤立を防ぐ訪問と声かけ",
        description="ボランティアがお年寄りのお宅を定期的に訪問し、安否確認と話し相手をします。",
        areas=["o-ward"], forms=["cooperation"],
    )  # fmt: skip
    found = {int(s.offer_id) for s in adapter.rank_for_need(scene["need"], top_k=50)}
    assert scene["good"].pk in found and elsewhere.pk not in found


def test_suggest_command(scene, capsys):
    call_command("suggest", "--need", str(scene["need"].pk), "--top", "3")
    out = capsys.readouterr().out
    assert "シニアの孤立を防ぐ訪問と声かけ" in out and "内訳" in out
    call_command("suggest", "--offer", str(scene["good"].pk), "--json")
    import json

    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["need_id"] == str(scene["need"].pk)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="99999"):
        call_command("suggest", "--need", "99999")


def _running_match(offer, state: str = "active") -> None:
    from matching.models import Match, MatchParty

    match = Match.objects.create(title="進行中の協働", offer=offer)
    Match.objects.filter(pk=match.pk).update(state=state)
    MatchParty.objects.create(match=match, organization=offer.organization, role="offer_poster")


def test_an_offer_at_capacity_is_weaker_and_says_why(scene):
    before = {int(s.offer_id): s for s in adapter.rank_for_need(scene["need"], top_k=10)}
    good = scene["good"]
    assert good.capacity == 2
    _running_match(good)
    _running_match(good)
    after = {int(s.offer_id): s for s in adapter.rank_for_need(scene["need"], top_k=10)}
    assert after[good.pk].score < before[good.pk].score
    assert any("受け入れ枠" in w for w in after[good.pk].weaknesses), after[good.pk].weaknesses


def test_organizations_already_in_many_collaborations_are_suggested_less(scene):
    twin = make_offer(
        make_org("NPO法人ふたご"),
        title=scene["good"].title,
        description=scene["good"].description,
        fields=["welfare"], areas=["t-kita"], forms=["cooperation"],
    )  # fmt: skip
    scores = {int(s.offer_id): s.score for s in adapter.rank_for_need(scene["need"], top_k=10)}
    assert scores[twin.pk] == pytest.approx(scores[scene["good"].pk])
    for _ in range(5):  # open matches elsewhere: exposure, not capacity (state proposed)
        _running_match(make_offer(scene["npo"], title="別の活動"), state="proposed")
    ranked = adapter.rank_for_need(scene["need"], top_k=10)
    scores = {int(s.offer_id): s.score for s in ranked}
    assert scores[twin.pk] > scores[scene["good"].pk]
    busy = next(s for s in ranked if int(s.offer_id) == scene["good"].pk)
    assert busy.breakdown()["fairness"] < 0
