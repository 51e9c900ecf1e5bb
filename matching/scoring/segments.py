"""The engine's indexes saved on the host, shared by every process of it.

One directory per side and generation (``MATCHING_INDEX_DIR/<side>/<stamp>-<analysis>``)
holds one engine segment per city (``matching.engine.segment``) and a ``manifest.json``.
The first process that needs a generation builds it from the database under a file lock
(the others of the host wait, then open it) and renames it into place when complete, so a
reader never sees half of one and a build killed half-way leaves nothing behind but a
temporary directory. Opening is memory-mapping: the arrays sit once in the page cache for
all processes.

Hosts that do not share the directory (web and workers on different machines) each build
the generation from the database once, then share it among their own processes; pointing
``MATCHING_INDEX_DIR`` at a shared volume makes one build serve them all. A directory that
cannot be written (read-only, full) degrades to building in memory, as before.
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
from pathlib import Path

from django.conf import settings

from matching import engine
from matching.engine import segment

log = logging.getLogger(__name__)

# Generations kept per side besides the current one (a process may still be reading one).
KEEP = 2


def root(side: str) -> Path:
    return Path(settings.MATCHING_INDEX_DIR) / side


def _name(stamp: str, lexicon: engine.Lexicon) -> str:
    analysis = "".join(c for c in lexicon.analysis_version if c.isalnum())[:24]
    return f"{stamp or 'initial'}-{analysis}-f{segment.FORMAT}"


def open_or_build(
    side: str,
    stamp: str,
    lexicon: engine.Lexicon,
    build: Callable[[], dict[str, object]],
    hierarchy_of: Callable[[str], engine.AreaHierarchy],
    wait: bool = True,
) -> dict[str, object] | None:
    """The indexes of ``side`` at generation ``stamp``, by city: opened from the host's
    saved segments, or built (``build()``) and saved first. ``hierarchy_of(city)`` is the
    city's area tree (not saved: it is read from the database with the generation).

    ``wait=False``: None, at once, when another process of the host is building it (the
    caller keeps serving the generation it has)."""
    directory = root(side) / _name(stamp, lexicon)
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
                    built = build()
                    try:
                        _save(directory, built)
                    except OSError as exc:  # full or read-only: serve what was built
                        log.warning("matching: could not save the index in %s (%s)", directory, exc)
                        return built
                    _prune(directory.parent, keep=directory.name)
        cities = json.loads(manifest.read_text(encoding="utf-8"))["cities"]
    except OSError as exc:
        log.warning("matching: index directory %s unusable (%s); in memory", directory, exc)
        return build()
    return {
        city: segment.load(directory / folder, hierarchy_of(city), lexicon)
        for city, folder in cities.items()
    }


def _save(directory: Path, indexes: dict[str, object]) -> None:
    """Write every city's segment into a temporary directory, then rename it into place."""
    temporary = directory.parent / f".building-{directory.name}-{os.getpid()}-{uuid.uuid4().hex}"
    try:
        cities = {}
        for number, (city, index) in enumerate(sorted(indexes.items())):
            folder = f"city{number}"
            segment.save(index, temporary / folder)
            cities[city] = folder
        temporary.mkdir(parents=True, exist_ok=True)
        (temporary / "manifest.json").write_text(
            json.dumps({"cities": cities}, ensure_ascii=False), encoding="utf-8"
        )
        os.rename(temporary, directory)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _prune(parent: Path, keep: str) -> None:
    """Remove older generations (and builds left by killed processes), newest kept."""
    generations = sorted(
        (d for d in parent.iterdir() if d.is_dir() and d.name != keep),
        key=lambda d: d.stat().st_mtime,
        reverse=True,
    )
    complete = [d for d in generations if not d.name.startswith(".building-")]
    stale = complete[KEEP:] + [
        d for d in generations if d.name.startswith(".building-") and _older_than_a_day(d)
    ]
    for d in stale:
        shutil.rmtree(d, ignore_errors=True)


def _older_than_a_day(path: Path) -> bool:
    return time.time() - path.stat().st_mtime > 86400
