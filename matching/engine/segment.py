"""An index on disk: saved once, opened by every process of a host without rebuilding.

``save(index, directory)`` writes an ``OfferIndex``/``NeedIndex`` as plain files: the
numeric arrays as ``.npy`` (opened memory-mapped, so every process of a host shares one
copy in the page cache), the vocabulary and the other small tables as JSON, and each
post's feature record (with its analysed text) as one JSON document in a blob with an
offsets array — decoded only for the rows a ranking returns (the reasons need them), never
all at once. ``load(directory, hierarchy, lexicon)`` gives back an index that ranks exactly
like the one saved.

``save`` writes into a fresh directory that must not exist yet; callers write to a
temporary name and rename it into place, so a reader never sees half a segment.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from matching.engine import semantic
from matching.engine.features import AreaHierarchy, Need, Offer
from matching.engine.index import NeedIndex, OfferIndex, _PostIndex
from matching.engine.text import Lexicon, PostText

# 4: the posts' document vectors (``semantic_*``), for the semantic component.
FORMAT = 4
# Arrays of the index, saved as they are (``name.npy``).
_ARRAYS = (
    "id_rank",
    "l1",
    "l2",
    "field_masks",
    "form_masks",
    "area_ids",
    "orgs",
    "open",
    "last_day",
    "starts",
    "ends",
    "cues",
    "semantic_docs",
    "semantic_norm",
)
# The semantic bound (``_PostIndex.semantic_axes``): made before saving, opened with the rest.
_BOUND_ARRAYS = ("semantic_axes", "semantic_on_axes", "semantic_rest")
_OFFER_ARRAYS = ("capacity", "active")
_DATE_FIELDS = ("expires_on", "starts_on", "ends_on", "available_from", "available_until")


def _record(post: Need | Offer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in post.__dataclass_fields__:
        value = getattr(post, name)
        if name == "text":
            out[name] = value.to_json() if value is not None else None
        elif isinstance(value, frozenset):
            out[name] = sorted(value)
        elif isinstance(value, date):
            out[name] = value.isoformat()
        else:
            out[name] = value
    return out


def _post(record: dict[str, Any], role: str) -> Need | Offer:
    values = dict(record)
    for name in _DATE_FIELDS:
        if values.get(name):
            values[name] = date.fromisoformat(values[name])
    if values.get("text") is not None:
        values["text"] = PostText.from_json(values["text"])
    return (Offer if role == "offer" else Need)(**values)


class Rows(Sequence):
    """The posts of a saved index, decoded one at a time on demand."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, role: str) -> None:
        self._blob, self._offsets, self._role = blob, offsets, role
        self._cache: dict[int, Need | Offer] = {}

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        row = int(row)
        post = self._cache.get(row)
        if post is None:
            start, end = int(self._offsets[row]), int(self._offsets[row + 1])
            post = _post(json.loads(self._blob[start:end].tobytes()), self._role)
            if len(self._cache) > 10_000:  # rows shown recently; bounded
                self._cache.clear()
            self._cache[row] = post
        return post


class Texts(Sequence):
    """``index.texts`` of a loaded index: each row's analysed text, from its record."""

    def __init__(self, rows: Rows) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, row):  # type: ignore[override]
        return self._rows[row].text


def save(index: _PostIndex, directory: str | Path) -> Path:
    """Write ``index`` into ``directory`` (created; it must not exist)."""
    path = Path(directory)
    path.mkdir(parents=True)
    blobs = [json.dumps(_record(p), ensure_ascii=False).encode() for p in index.posts]
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in blobs])
    np.save(path / "rows_offsets.npy", offsets)
    np.save(path / "rows.npy", np.frombuffer(b"".join(blobs), dtype=np.uint8))
    matrix = index.matrix
    np.save(path / "matrix_indptr.npy", matrix.indptr)
    np.save(path / "matrix_indices.npy", matrix.indices)
    np.save(path / "matrix_data.npy", matrix.data)
    for name in _ARRAYS + (_OFFER_ARRAYS if index.role == "offer" else ()):
        np.save(path / f"{name}.npy", np.ascontiguousarray(getattr(index, name)))
    index.semantic_axes()
    for name, values in zip(_BOUND_ARRAYS, index._semantic_bound, strict=True):
        np.save(path / f"{name}.npy", np.ascontiguousarray(values))
    np.save(path / "ids.npy", np.asarray(index.ids, dtype=str))
    vocab_terms = sorted(index.vocab, key=index.vocab.__getitem__)
    background_terms = sorted(set(index.df) - set(index.vocab))
    meta = {
        "format": FORMAT,
        "role": index.role,
        "rows": len(index),
        "shape": list(matrix.shape),
        "n_docs": index.n_docs,
        "terms": vocab_terms + background_terms,
        "n_vocab": len(vocab_terms),
        "df": [index.df[t] for t in vocab_terms + background_terms],
        "area_sets": [sorted(s) for s in index.area_sets],
        "org_codes": sorted(index.org_codes, key=index.org_codes.__getitem__),
        "lexicon": index.lexicon.analysis_version,
        "vectors": index.term_vectors.fingerprint,
    }
    (path / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


def load(
    directory: str | Path, hierarchy: AreaHierarchy, lexicon: Lexicon
) -> OfferIndex | NeedIndex:
    """Open a saved index; its arrays stay on disk (memory-mapped, read-only)."""
    path = Path(directory)
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    if meta["format"] != FORMAT:
        raise ValueError(f"segment format {meta['format']!r}, engine reads {FORMAT!r}")
    if meta["lexicon"] != lexicon.analysis_version:
        raise ValueError("segment analysed with another dictionary: rebuild it")
    vectors = semantic.term_vectors(lexicon)
    if meta.get("vectors") != vectors.fingerprint:
        raise ValueError("segment built with other word vectors: rebuild it")
    role = meta["role"]
    index = (OfferIndex if role == "offer" else NeedIndex).__new__(
        OfferIndex if role == "offer" else NeedIndex
    )

    def array(name: str) -> np.ndarray:
        # A plain ndarray over the mapped pages: the same shared memory, without
        # ``np.memmap``'s per-indexing overhead (≈0.6 ms per gather at 100,000 rows).
        return np.load(path / f"{name}.npy", mmap_mode="r").view(np.ndarray)

    index.hierarchy = hierarchy
    index.lexicon = lexicon
    index.term_vectors = vectors
    rows = Rows(array("rows"), np.load(path / "rows_offsets.npy"), role)
    index.posts = rows
    index.texts = Texts(rows)
    n_vocab = meta["n_vocab"]
    terms = meta["terms"]
    index.vocab = {term: col for col, term in enumerate(terms[:n_vocab])}
    index.df = Counter(dict(zip(terms, meta["df"], strict=True)))
    index.n_docs = meta["n_docs"]
    index.matrix = sparse.csc_matrix(
        (array("matrix_data"), array("matrix_indices"), array("matrix_indptr")),
        shape=tuple(meta["shape"]),
        copy=False,
    )
    for name in _ARRAYS + (_OFFER_ARRAYS if role == "offer" else ()):
        setattr(index, name, array(name))
    index._semantic_bound = tuple(array(name) for name in _BOUND_ARRAYS)
    index.ids = array("ids")
    index.area_sets = [frozenset(s) for s in meta["area_sets"]]
    index.org_codes = {org: code for code, org in enumerate(meta["org_codes"])}
    index._area_tables = {}
    return index
