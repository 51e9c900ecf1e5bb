"""The indexes saved on the host (matching.scoring.segments): a generation is built once
and opened by every other process; it ranks exactly like an index built in memory; a
build that dies leaves nothing half-written; hosts that do not share the directory each
build from the database and agree."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import make_need, make_offer

from matching import engine
from matching.engine import segment
from matching.scoring import adapter, indexes, segments
from matching.scoring.adapter import IndexCache
from proposals.models import Offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(people):
    need = make_need(
        people["department"],
        title="一人暮らし高齢者の見守り活動",
        description="団地の一人暮らし高齢者を訪問し、孤立を防ぐ見守りの担い手を探しています。",
        forms=["cooperation"],
        areas=["t-kita"],
    )
    offers = [
        make_offer(
            org,
            title=title,
            description=text,
            forms=["cooperation"],
            areas=[area],
        )
        for org, title, text, area in (
            (
                people["npo"],
                "シニアの見守り訪問",
                "お年寄りのお宅を訪問し安否を確認します。",
                "t-kita",
            ),
            (people["group"], "子育てサロン", "乳幼児と保護者のサロンを開いています。", "t-minami"),
            (
                people["npo"],
                "高齢者の話し相手",
                "一人暮らしの高齢者の話し相手になります。",
                "t-kita",
            ),
        )
    ]
    return {"need": need, "offers": offers, **people}


PLAIN = replace(
    engine.DEFAULT_PROFILE, weights=replace(engine.DEFAULT_PROFILE.weights, fairness=0.0)
)


def _ranked(cache: IndexCache, need) -> list[tuple[str, float, tuple[str, ...]]]:
    lexicon = adapter.current_lexicon()
    indexes = cache.get(Offer, lexicon)
    feature = adapter.need_features(
        [adapter._with_codes(type(need).objects.filter(pk=need.pk)).get()], lexicon
    )[0]
    found = []
    for index in indexes.values():
        # fairness off: every offer of the one organization listed (not three at most)
        found += index.top_offers(feature, as_of=adapter.today(), top_k=20, profile=PLAIN)
    return [(s.offer_id, round(s.score, 12), tuple(s.reasons)) for s in adapter._merge(found, 20)]


def test_a_second_process_opens_the_saved_generation_without_building(scene, monkeypatch):
    first = _ranked(IndexCache(), scene["need"])  # "process" one builds and saves
    assert first, "the scene must produce suggestions"

    def no_build(*args, **kwargs):
        raise AssertionError("the generation is on disk: nothing may be built")

    monkeypatch.setattr(indexes, "build_indexes", no_build)
    second = _ranked(IndexCache(), scene["need"])  # "process" two opens it
    assert second == first


def test_saved_segments_rank_exactly_like_an_index_built_in_memory(scene, settings, tmp_path):
    from_disk = _ranked(IndexCache(), scene["need"])
    unwritable = tmp_path / "read-only"
    unwritable.write_text("a file, not a directory")  # any write below it fails
    settings.MATCHING_INDEX_DIR = unwritable / "index"
    in_memory = _ranked(IndexCache(), scene["need"])
    assert from_disk == in_memory


def test_the_merge_builds_a_new_main_segment_and_prunes_old_ones(scene):
    _ranked(IndexCache(), scene["need"])
    lexicon = adapter.current_lexicon()
    assert not indexes.merge(Offer, lexicon), "nothing changed: nothing to merge"
    for n in range(segments.KEEP + 2):
        make_offer(
            scene["npo"], title=f"見守りの担い手 {n}", forms=["cooperation"], areas=["t-kita"]
        )
        assert indexes.merge(Offer, lexicon, force=True)
    kept = [d for d in segments.root("offer").iterdir() if d.is_dir()]
    assert len(kept) == segments.KEEP + 1  # the newest and KEEP before it
    # A process started after the merge opens the newest main segment.
    cache = IndexCache()
    found = _ranked(cache, scene["need"])
    newest = segments.newest("offer", lexicon)
    assert cache._state.base.change == segments.change_of(newest)
    assert len(found) == 3 + segments.KEEP + 2


def test_a_build_that_dies_leaves_nothing_half_written(scene, monkeypatch):
    real = segment.save
    calls = []

    def dies(index, directory):
        calls.append(directory)
        real(index, directory)
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(segment, "save", dies)
    with pytest.raises(KeyboardInterrupt):
        _ranked(IndexCache(), scene["need"])
    assert calls
    leftovers = list(segments.root("offer").iterdir())
    assert not [d for d in leftovers if d.is_dir()], leftovers
    monkeypatch.setattr(segment, "save", real)
    assert _ranked(IndexCache(), scene["need"])  # the next process builds it whole


def test_hosts_without_a_shared_directory_each_build_and_agree(scene, settings, tmp_path):
    settings.MATCHING_INDEX_DIR = tmp_path / "web-host"
    web = _ranked(IndexCache(), scene["need"])
    settings.MATCHING_INDEX_DIR = tmp_path / "worker-host"
    worker = _ranked(IndexCache(), scene["need"])
    assert web == worker
    assert (tmp_path / "web-host" / "offer").is_dir() and (
        tmp_path / "worker-host" / "offer"
    ).is_dir()


def test_the_previous_main_segment_serves_while_another_process_builds(scene):
    import fcntl

    from organizations.models import Area

    cache = IndexCache()
    before = _ranked(cache, scene["need"])
    newcomer = make_offer(
        scene["group"],
        title="高齢者の見守りと声かけ",
        description="一人暮らしの高齢者を訪問して見守ります。",
        forms=["cooperation"],
        areas=["t-kita"],
    )
    Area.objects.create(code="t-higashi", name="東区", level=Area.Level.DISTRICT)  # whole side
    lock_path = segments.root("offer") / ".lock"
    with open(lock_path, "a+") as other_builder:
        fcntl.flock(other_builder, fcntl.LOCK_EX)  # another process is building
        during = _ranked(cache, scene["need"])  # answers at once, from what it has
        assert during == before
    after = _ranked(cache, scene["need"])  # the lock is free: the new main segment
    assert str(newcomer.pk) in {offer for offer, _, _ in after}


def test_a_killed_merge_leaves_the_previous_main_segment_serving(scene, monkeypatch):
    before = _ranked(IndexCache(), scene["need"])
    newcomer = make_offer(
        scene["group"],
        title="高齢者の見守りと声かけ",
        description="一人暮らしの高齢者を訪問して見守ります。",
        forms=["cooperation"],
        areas=["t-kita"],
    )

    def killed(index, directory):
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(segment, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        indexes.merge(Offer, adapter.current_lexicon(), force=True)
    monkeypatch.undo()
    complete = [d for d in segments.root("offer").iterdir() if d.is_dir()]
    assert len(complete) == 1  # the previous one, and no half-written one

    def no_build(*args, **kwargs):
        raise AssertionError("the previous main segment serves: nothing may be built")

    monkeypatch.setattr(indexes, "build_indexes", no_build)
    after = _ranked(IndexCache(), scene["need"])  # a process started after the kill
    assert str(newcomer.pk) in {offer for offer, _, _ in after}  # from the delta
    assert {offer for offer, _, _ in before} < {offer for offer, _, _ in after}
