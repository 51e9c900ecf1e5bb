"""The engine's main segments saved on the host, shared by every process of it.

One directory per side and base
(``MATCHING_INDEX_DIR/<side>/<change>-<stamp>-<analysis>-e<engine>-f<format>``) holds one
engine segment per city (``matching.engine.segment``) and a ``manifest.json``
(the change the base was built at, when, its cities). A base is built from the database
under a file lock (one builder per host; the others wait, or keep serving what they have),
written to a temporary directory and renamed into place when complete, so a reader never
sees half of one and a build killed half-way leaves the previous base serving and nothing
behind but a temporary directory (removed a day later). Opening is memory-mapping: the
arrays sit once in the page cache for all processes.

Posts changed after a base reach rankings through a delta built in each process
(``matching.scoring.indexes``); the merge task builds the next base in the background.

Hosts that do not share the directory (web and workers on different machines) each build
their bases from the database, then share them among their own processes; pointing
``MATCHING_INDEX_DIR`` at a shared volume makes one build serve them all. A directory that
cannot be written (read-only, full) degrades to building in memory.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from matching import engine
from matching.engine import segment, semantic

log = logging.getLogger(__name__)

# Bases kept per side besides the newest (a process may still be reading one).
KEEP = 2


@dataclass
class Base:
    """A side's main segments (one per city), built at ``change`` (an ``IndexChange`` id,
    0 before the first) at ``built_at`` (epoch seconds)."""

    change: int
    built_at: float
    indexes: dict[str, object]


def root(side: str) -> Path:
    return Path(settings.MATCHING_INDEX_DIR) / side


def _suffix(lexicon: engine.Lexicon) -> str:
    # A new dictionary (analysis), word vectors, engine version or file format needs a new
    # main segment.
    vectors = semantic.term_vectors(lexicon).vectors.fingerprint[:8]
    analysis = "".join(c for c in lexicon.analysis_version if c.isalnum())[:24] + vectors
    version = "".join(c for c in engine.ENGINE_VERSION if c.isalnum())[:16]
    return f"-{analysis}-e{version}-f{segment.FORMAT}"


def _name(change: int, stamp: str, lexicon: engine.Lexicon) -> str:
    return f"{change:012d}-{stamp or 'initial'}{_suffix(lexicon)}"


def change_of(directory: Path) -> int:
    """The change a saved base was built at (from its name)."""
    return int(directory.name.split("-", 1)[0])


def newest(side: str, lexicon: engine.Lexicon) -> Path | None:
    """The host's newest complete base of ``side`` for this analysis, if any."""
    try:
        found = [
            d
            for d in root(side).iterdir()
            if d.name[:1].isdigit()
            and d.name.endswith(_suffix(lexicon))
            and (d / "manifest.json").exists()
        ]
    except OSError:
        return None
    return max(found, key=change_of, default=None)


def built_at(directory: Path) -> float:
    """When a saved base was built (epoch seconds)."""
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))["built_at"]


def open_base(
    directory: Path, lexicon: engine.Lexicon, hierarchy_of: Callable[[str], engine.AreaHierarchy]
) -> Base:
    """Open a saved base (memory-mapped). ``hierarchy_of(city)`` is the city's area tree
    (not saved: it is read from the database)."""
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    indexes = {
        city: segment.load(directory / folder, hierarchy_of(city), lexicon)
        for city, folder in manifest["cities"].items()
    }
    return Base(manifest["change"], manifest["built_at"], indexes)


def open_or_build(
    side: str,
    change: int,
    stamp: str,
    lexicon: engine.Lexicon,
    build: Callable[[], dict[str, object]],
    hierarchy_of: Callable[[str], engine.AreaHierarchy],
    wait: bool = True,
) -> Base | None:
    """The base of ``side`` at ``change``: opened from the host's saved segments, or built
    (``build()``, which reads the database after ``change`` was read) and saved first.

    ``wait=False``: None, at once, when another process of the host is building (the
    caller keeps serving what it has)."""
    directory = root(side) / _name(change, stamp, lexicon)
    manifest = directory / "manifest.json"
    try:
        if not manifest.exists():
            directory.parent.mkdir(parents=True, exist_ok=True)
            with open(directory.parent / ".lock", "a+") as lock:
                try:  # one builder per host at a time
                    fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
                except BlockingIOError:
                    return None
                if not manifest.exists():
                    built_at = time.time()
                    built = build()
                    try:
                        _save(directory, built, change, built_at)
                    except OSError as exc:  # full or read-only: serve what was built
                        log.warning("matching: could not save the index in %s (%s)", directory, exc)
                        return Base(change, built_at, built)
                    _prune(directory.parent, keep=directory.name)
        return open_base(directory, lexicon, hierarchy_of)
    except OSError as exc:
        log.warning("matching: index directory %s unusable (%s); in memory", directory, exc)
        return Base(change, time.time(), build())


def _save(directory: Path, indexes: dict[str, object], change: int, built_at: float) -> None:
    """Write every city's segment into a temporary directory, then rename it into place."""
    temporary = directory.parent / f".building-{directory.name}-{os.getpid()}-{uuid.uuid4().hex}"
    try:
        cities = {}
        for number, (city, index) in enumerate(sorted(indexes.items())):
            folder = f"city{number}"
            segment.save(index, temporary / folder)
            cities[city] = folder
        temporary.mkdir(parents=True, exist_ok=True)
        manifest = {"cities": cities, "change": change, "built_at": built_at}
        (temporary / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False), encoding="utf-8"
        )
        os.rename(temporary, directory)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _prune(parent: Path, keep: str) -> None:
    """Remove older bases (and builds left by killed processes), the newest kept."""
    bases = sorted(
        (d for d in parent.iterdir() if d.is_dir() and d.name != keep),
        key=lambda d: d.stat().st_mtime,
        reverse=True,
    )
    complete = [d for d in bases if not d.name.startswith(".building-")]
    stale = complete[KEEP:] + [
        d for d in bases if d.name.startswith(".building-") and _older_than_a_day(d)
    ]
    for d in stale:
        shutil.rmtree(d, ignore_errors=True)


def _older_than_a_day(path: Path) -> bool:
    return time.time() - path.stat().st_mtime > 86400
