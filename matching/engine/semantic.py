"""Word vectors: the meaning of a term as a point in space, so that 避難訓練 and 防災 can be
found close although no dictionary lists them together.

The vectors are the word2vec vectors shipped in the ``ja-ginza`` package (chiVe, Sudachi
normalized forms: the engine's own term keys), converted once by
``bench/build_word_vectors.py`` into ``data/wordvec/`` (keys hashed, rows centred and
reduced by PCA, float16): read here with NumPy alone, memory-mapped, nothing downloaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from lib.japanese import tokenize_units

WORDVEC_DIR = Path(__file__).parent / "data" / "wordvec"


def key_hashes(keys: Iterable[str]) -> np.ndarray:
    """64-bit hashes of term keys (BLAKE2b): how ``keys.npy`` stores them."""
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(k.encode("utf-8"), digest_size=8).digest(), "little")
            for k in keys
        ),
        dtype=np.uint64,
    )


class WordVectors:
    """Term key → unit vector (or none). Immutable; one per process (``default_vectors``)."""

    def __init__(
        self,
        keys: np.ndarray,
        rows: np.ndarray,
        vectors: np.ndarray,
        meta: dict,
    ) -> None:
        self._keys = keys
        self._rows = rows
        # float16, memory-mapped: the pages are shared by every process of a host; a row is
        # converted (and brought to unit length) when a term asks for it.
        self._vectors = vectors
        self.meta = meta
        self.dims = int(vectors.shape[1])
        self.fingerprint = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[
            :12
        ]

    @classmethod
    def load(cls, directory: str | Path = WORDVEC_DIR) -> WordVectors:
        path = Path(directory)
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        return cls(
            np.load(path / "keys.npy", mmap_mode="r"),
            np.load(path / "rows.npy", mmap_mode="r"),
            np.load(path / "vectors.npy", mmap_mode="r"),
            meta,
        )

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self._vectors.shape)

    def unit(self, rows: np.ndarray | int) -> np.ndarray:
        """The vectors of ``rows`` at unit length (float32)."""
        found = np.asarray(self._vectors[rows], dtype=np.float32)
        norm = np.sqrt(np.einsum("...i,...i->...", found, found))
        return found / np.maximum(norm, 1e-12)[..., None]

    def rows_of(self, keys: Sequence[str]) -> np.ndarray:
        """The vector row of each key, −1 for a key the model does not know."""
        if not len(keys):
            return np.empty(0, dtype=np.int64)
        h = key_hashes(keys)
        at = np.minimum(np.searchsorted(self._keys, h), len(self._keys) - 1)
        found = self._keys[at] == h
        return np.where(found, self._rows[at].astype(np.int64), -1)


@lru_cache(maxsize=1)
def default_vectors() -> WordVectors:
    """The bundled vectors (memory-mapped once per process: 12 MB of float16 pages)."""
    return WordVectors.load()


class TermVectors:
    """The vector of each *term key* of the engine, for one dictionary: a word its own
    vector; a synonym concept (≈高齢者) the mean of its words' vectors; a format word
    (講座, ワークショップ) none, so that a shared way of working adds no meaning (its
    lexical weight is already low: ``text.py``); topics, phrases and character pairs none.
    Vectors are float32 at unit length; a term without one gets a zero row."""

    def __init__(self, vectors: WordVectors, lexicon) -> None:  # lexicon: text.Lexicon
        self.vectors = vectors
        self.dims = vectors.dims
        self._formats = lexicon.formats
        members: dict[str, list[str]] = {}
        for key, concept in lexicon.concept_of.items():
            members.setdefault(concept, []).append(key)
        # Multi-word variants (災害への備え, 避難訓練 read as 避難+訓練) are phrases: their
        # words, without one-kana particles, stand for them.
        for sequences in lexicon.phrases.values():
            for tokens, concept in sequences:
                words = [t for t in tokens if not (len(t) == 1 and "\u3041" <= t <= "\u309f")]
                if words:
                    members.setdefault(concept, []).append(" ".join(words))
        self._members = {c: sorted(set(keys)) for c, keys in members.items()}
        self._cache: dict[str, np.ndarray | None] = {}
        self.fingerprint = f"{vectors.fingerprint}:{lexicon.fingerprint}"

    def _word(self, key: str, row: int) -> np.ndarray | None:
        """A word's vector; a compound the model lacks (避難訓練) gets the mean of its
        parts' (避難, 訓練), if the model knows them all."""
        if row >= 0:
            return self.vectors.unit(row)
        if " " in key:  # a phrase's words
            found = self.vectors.rows_of(key.split(" "))
            return _mean(self.vectors.unit(found[found >= 0])) if (found >= 0).any() else None
        units = [u for u in tokenize_units(key) if u.content]
        pieces = [u.normalized for u in units]
        if len(units) == 1:
            pieces = list(units[0].parts)
        if len(pieces) < 2:
            return None
        found = self.vectors.rows_of(pieces)
        if (found < 0).any():
            return None
        return _mean(self.vectors.unit(found))

    def _compute(self, keys: list[str]) -> None:
        words = [k for k in keys if not k.startswith(("≈", "#", "~")) and k not in self._formats]
        rows = dict(zip(words, self.vectors.rows_of(words).tolist(), strict=True))
        for key in keys:
            vec = None
            if key in self._formats or key.startswith(("#", "~")):
                pass
            elif key.startswith("≈"):
                members = self._members.get(key, [])
                found = self.vectors.rows_of(members).tolist()
                vecs = [self._word(m, r) for m, r in zip(members, found, strict=True)]
                vecs = [v for v in vecs if v is not None]
                vec = _mean(np.asarray(vecs)) if vecs else None
            elif key in rows:
                vec = self._word(key, rows[key])
            if len(self._cache) > 200_000:  # bounded: a process sees few distinct terms
                self._cache.clear()
            self._cache[key] = vec

    def matrix(self, keys: Sequence[str]) -> np.ndarray:
        """len(keys) × dims, a zero row for a term without a vector."""
        missing = [k for k in dict.fromkeys(keys) if k not in self._cache]
        if missing:
            self._compute(missing)
        out = np.zeros((len(keys), self.dims), dtype=np.float32)
        for i, key in enumerate(keys):
            vec = self._cache.get(key)
            if vec is not None:
                out[i] = vec
        return out

    def has(self, key: str) -> bool:
        if key not in self._cache:
            self._compute([key])
        return self._cache[key] is not None


def _mean(vectors: np.ndarray) -> np.ndarray | None:
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm > 1e-6 else None


_term_vectors: dict[str, TermVectors] = {}


def term_vectors(lexicon, vectors: WordVectors | None = None) -> TermVectors:
    """The ``TermVectors`` of a dictionary (one per dictionary version and process)."""
    vectors = vectors or default_vectors()
    key = f"{vectors.fingerprint}:{lexicon.fingerprint}"
    found = _term_vectors.get(key)
    if found is None:
        if len(_term_vectors) >= 4:
            _term_vectors.clear()
        found = _term_vectors[key] = TermVectors(vectors, lexicon)
    return found


# Two terms at least this close (cosine of their vectors) are shown as 「近い意味」.
NEAR_SIMILARITY = 0.45
MAX_NEAR_PAIRS = 3


# Terms of each post a 「近い意味」 pair is looked for among: its heaviest (the reason names
# at most three pairs; 20 × 20 cosines per suggestion keep the reasons of a list cheap).
NEAR_TERMS = 20


def _side(vectors: TermVectors, text, idf: Callable[[str], float]):
    """A post's heaviest readable terms with a vector, their unit vectors, their weights."""
    terms = text.term_dict()
    weight = {k: idf(k) * tf for k, tf in terms.items() if not k.startswith(("#", "~"))}
    keys = sorted((k for k in weight if vectors.has(k)), key=lambda k: (-weight[k], k))
    keys = keys[:NEAR_TERMS]
    weights = np.asarray([weight[k] for k in keys], dtype=np.float64)
    return keys, vectors.matrix(keys), weights, set(terms)


def near_pairs(
    vectors: TermVectors,
    need_text,
    offer_text,
    idf: Callable[[str], float],
    limit: int = MAX_NEAR_PAIRS,
    sides: dict | None = None,
) -> list[tuple[str, str, float]]:
    """The pairs (need term, offer term, cosine) that carry the meaning the two posts share
    without sharing the word: each term only in one post, both with a vector (not formats),
    at least ``NEAR_SIMILARITY`` apart, the pairs of rare, heavy terms first; each term in
    one pair at most. For the reason 「近い意味: 避難訓練 ～ 防災」. ``sides``: a cache of
    each text's terms and vectors (the query's are the same for every suggestion of a list),
    keyed by the text object."""

    def side(text):
        if sides is None:
            return _side(vectors, text, idf)
        found = sides.get(id(text))
        if found is None or found[0] is not text:
            if len(sides) > 64:
                sides.clear()
            found = sides[id(text)] = (text, _side(vectors, text, idf))
        return found[1]

    left, left_m, left_w, left_all = side(need_text)
    right, right_m, right_w, right_all = side(offer_text)
    if not left or not right:
        return []
    sims = np.einsum("ik,jk->ij", left_m, right_m)  # einsum: no BLAS threads for 20 × 20
    # Exact matches are reasons of their own (共通するキーワード), not near meanings.
    sims[[i for i, k in enumerate(left) if k in right_all], :] = 0.0
    sims[:, [j for j, k in enumerate(right) if k in left_all]] = 0.0
    i_idx, j_idx = np.nonzero(sims >= NEAR_SIMILARITY)
    if len(i_idx) == 0:
        return []
    value = sims[i_idx, j_idx] * np.sqrt(left_w[i_idx] * right_w[j_idx])
    order = sorted(range(len(i_idx)), key=lambda p: (-value[p], left[i_idx[p]], right[j_idx[p]]))
    out: list[tuple[str, str, float]] = []
    used_l: set[int] = set()
    used_r: set[int] = set()
    for p in order:
        i, j = int(i_idx[p]), int(j_idx[p])
        if i in used_l or j in used_r:
            continue
        out.append((left[i], right[j], float(sims[i, j])))
        used_l.add(i)
        used_r.add(j)
        if len(out) == limit:
            break
    return out
