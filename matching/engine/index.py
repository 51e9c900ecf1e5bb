"""Indexes and ranking: top-k offers for a need, top-k needs for an offer, batches of needs.

Build once (``OfferIndex.build(offers, hierarchy)``), query many times. The index holds

* an inverted index of the text terms (a SciPy CSC matrix: one column per term = its posting
  list of (post, weight) pairs; terms include synonym concepts ``≈…`` and topics ``#…``),
* NumPy arrays of the structured features: field and form bit masks, an id per distinct
  canonical area set, period bounds as day ordinals, capacity, active matches, organization,
  open/expiry state.

Ranking one query post (complexity, with P = Σ posting-list lengths of the query's terms,
C ≤ P the candidates found there, n the posts in the index, k the list length):

1. Candidate generation: gather the posting lists of the query's terms — O(P) — giving the
   text statistics (dot product, shared weight on each side) for every candidate.
2. Score candidates: vectorised NumPy over C rows; area and form fit come from tables
   computed once per *distinct* area/form set (few), so O(C) with a small constant.
3. Only if fewer than k candidates score above the best score a post without any shared
   term could reach (the structural components alone), the remaining open posts are scored
   too (O(n), vectorised) — exact top-k, never an approximation.
4. Select: O(C + k log k) with ``argpartition``; ties broken by id. Explanations (reasons in
   Japanese) are built for the k selected pairs only.

So one query costs O(P + C) array work plus O(k) Python, independent of the number of
queries; a batch of m needs costs m times that (``rank_needs_chunk``), never m × n Python.
Build: O(total terms) after text analysis; analysis (Sudachi) dominates and can be skipped
by passing pre-analysed ``PostText`` in the feature records.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import sparse

from matching.engine import ranking, semantic
from matching.engine.explain import explain
from matching.engine.features import FIELD_LABELS, AreaHierarchy, Need, Offer
from matching.engine.scoring import (
    COMPONENT_LABELS,
    COMPONENTS,
    DEFAULT_PROFILE,
    ENGINE_VERSION,
    NO_END,
    NO_START,
    ComponentScore,
    MatchingProfile,
    Suggestion,
    area_value,
    capacity_value,
    commercial_value,
    field_value,
    form_mask,
    form_value,
    need_interval,
    period_value,
    saturate,
    semantic_value,
)
from matching.engine.text import (
    Lexicon,
    PostText,
    analyze_post,
    count_commercial_cues,
    load_lexicon,
)


@dataclass(frozen=True)
class CorpusStats:
    """Document frequencies and the number of documents that terms are weighed by."""

    df: Mapping[str, int]
    n_docs: int


_FIELD_BIT = {code: 1 << i for i, code in enumerate(FIELD_LABELS)}
# Distinct query area sets whose area-fit table an index keeps (a city has a few hundred).
AREA_TABLE_CACHE = 4096


def field_mask(codes: Iterable[str]) -> int:
    return sum(_FIELD_BIT.get(c, 0) for c in codes)


def tf_weight(tf: float) -> float:
    """Sub-linear term frequency: repeating a word adds less and less."""
    return 1.0 + math.log(tf) if tf >= 1.0 else tf


def post_text(post: Need | Offer, lexicon: Lexicon | None = None) -> PostText:
    if post.text is not None:
        return post.text
    return analyze_post(post.title, post.description, lexicon)


def _ordinal(d: date | None, default: int) -> int:
    return d.toordinal() if d is not None else default


# Principal axes of an index's document vectors kept for the semantic bound: more axes, a
# tighter bound (fewer candidates scored exactly) but a longer product over every row.
SEMANTIC_AXES = 32
_AXES_SAMPLE = 20_000


def _principal_axes(rows: np.ndarray, count: int = SEMANTIC_AXES) -> np.ndarray:
    """Orthonormal axes (rows) along which the documents spread most: the eigenvectors of
    their Gram matrix, from an evenly spaced sample of at most ``_AXES_SAMPLE`` rows. Any
    orthonormal axes make the bound valid; these make it tight."""
    dims = rows.shape[1]
    count = min(count, dims)
    if len(rows) == 0:
        return np.zeros((0, dims), dtype=np.float32)
    step = max(1, len(rows) // _AXES_SAMPLE)
    sample = rows[::step].astype(np.float64)
    norm = np.linalg.norm(sample, axis=1, keepdims=True)
    sample = sample / np.where(norm > 0, norm, 1.0)
    _, vectors = np.linalg.eigh(sample.T @ sample)
    return np.ascontiguousarray(vectors[:, ::-1][:, :count].T, dtype=np.float32)


class _TextQuery:
    """A query post's term weights against an index's vocabulary and document frequencies."""

    __slots__ = ("cols", "l1", "l2", "semantic", "semantic_axes", "terms", "values", "weights")

    def __init__(self, index: _PostIndex, text: PostText) -> None:
        self.terms = text.term_dict()
        self.weights = {t: index.idf_of(t) * tf_weight(tf) for t, tf in self.terms.items()}
        cols, vals = [], []
        for term, w in self.weights.items():
            col = index.vocab.get(term)
            if col is not None:
                cols.append(col)
                vals.append(w)
        order = np.argsort(cols)
        self.cols = np.asarray(cols, dtype=np.int64)[order]
        self.values = np.asarray(vals, dtype=np.float64)[order]
        self.l1 = float(sum(self.weights.values()))
        self.l2 = float(math.sqrt(sum(w * w for w in self.weights.values())))
        self.semantic: np.ndarray | None = None
        self.semantic_axes: tuple[np.ndarray, float] | None = None

    def semantic_vector(self, index: _PostIndex) -> np.ndarray:
        """The query's document vector: unit length, zero if none of its terms has one."""
        if self.semantic is None:
            keys = list(self.weights)
            weights = np.fromiter((self.weights[k] for k in keys), np.float32, len(keys))
            # einsum, not BLAS: OpenBLAS threads cost milliseconds on a busy 2-core host.
            table = index.term_vectors.matrix(keys)
            vec = np.einsum("i,ij->j", weights, table) if keys else np.zeros(0)
            norm = float(np.sqrt(np.einsum("i,i->", vec, vec))) if len(vec) else 0.0
            if norm <= 1e-9:
                vec = np.zeros(index.term_vectors.dims, dtype=np.float32)
            else:
                vec = (vec / norm).astype(np.float32)
            self.semantic = vec
        return self.semantic

    def semantic_on_axes(self, index: _PostIndex) -> tuple[np.ndarray, float]:
        """The query vector's coordinates on the index's bound axes, and the rest's length."""
        if self.semantic_axes is None:
            vec = self.semantic_vector(index)
            on_axes = np.einsum("ij,j->i", index.semantic_axes(), vec)
            rest = float(np.einsum("i,i->", vec, vec) - np.einsum("i,i->", on_axes, on_axes))
            self.semantic_axes = (on_axes, math.sqrt(max(0.0, rest)))
        return self.semantic_axes


class _PostIndex:
    role = "offer"  # the kind of post indexed

    def __init__(
        self,
        posts: Sequence[Need | Offer],
        hierarchy: AreaHierarchy,
        background: Iterable[PostText] = (),
        lexicon: Lexicon | None = None,
        stats: CorpusStats | None = None,
    ) -> None:
        self.hierarchy = hierarchy
        self.lexicon = lexicon or load_lexicon()
        self.posts = list(posts)
        ids = [p.id for p in self.posts]
        if len(set(ids)) != len(ids):
            dup = next(i for i, c in Counter(ids).items() if c > 1)
            raise ValueError(f"duplicate post id in index: {dup!r}")
        self.row_of = {pid: i for i, pid in enumerate(ids)}
        # Rank of each id in sorted order: the deterministic tie-break.
        self.id_rank = np.empty(len(ids), dtype=np.int64)
        self.id_rank[np.argsort(np.asarray(ids, dtype=object), kind="stable")] = np.arange(len(ids))
        self.ids = np.asarray(ids, dtype=str) if ids else np.empty(0, dtype="<U1")
        texts = [post_text(p, self.lexicon) for p in self.posts]
        self.texts = texts
        self._build_text(texts, background, stats)
        self._build_semantic()
        self._build_structure()

    # ----------------------------------------------------------------- build

    def _build_text(
        self, texts: list[PostText], background: Iterable[PostText], stats: CorpusStats | None
    ) -> None:
        if stats is not None:  # a delta: weighed with its main index's statistics
            self.df, self.n_docs = stats.df, stats.n_docs
        else:
            df: Counter[str] = Counter()
            for t in texts:
                df.update(t.keys)
            n_docs = len(texts)
            for t in background:
                df.update(t.keys)
                n_docs += 1
            self.df = df
            self.n_docs = max(n_docs, 1)
        # Vectorised: one dict lookup per posting for its column, the idf once per term,
        # the tf weight once per distinct frequency; the products are the same floats the
        # per-posting loop computed.
        vocab: dict[str, int] = {}
        column = vocab.setdefault
        cols_list: list[int] = []
        for t in texts:
            cols_list.extend([column(term, len(vocab)) for term in t.keys])
        lengths = np.fromiter((len(t.keys) for t in texts), np.int64, len(texts))
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        cols = np.asarray(cols_list, dtype=np.int64)
        tfs = np.fromiter((tf for t in texts for tf in t.tfs), np.float64, int(lengths.sum()))
        distinct, which = np.unique(tfs, return_inverse=True)
        tf_weights = np.asarray([tf_weight(float(tf)) for tf in distinct], dtype=np.float64)
        idf = np.fromiter((self.idf_of(term) for term in vocab), np.float64, len(vocab))
        data = idf[cols] * tf_weights[which] if len(cols) else np.zeros(0)
        self.vocab = vocab
        n = len(texts)
        mat = sparse.csc_matrix(
            # Weights rounded to float32 (as the index always held them) but kept as float64:
            # the query's sparse products then convert nothing (-0.5 ms at 100,000 offers).
            (data.astype(np.float32).astype(np.float64), (rows, cols)),
            shape=(n, max(len(vocab), 1)),
        )
        mat.sort_indices()
        self.matrix = mat
        sq = np.zeros(n)
        l1 = np.zeros(n)
        np.add.at(sq, rows, np.square(data))
        np.add.at(l1, rows, data)
        self.l2 = np.sqrt(sq)
        self.l1 = l1

    def _build_semantic(self) -> None:
        """Each post's document vector: its terms' vectors weighed like its terms (idf ×
        tf, formats excluded), in one sparse × dense product over the index's matrix; kept
        as int8 (the cosines are computed from these values, so saved and built indexes
        agree). For the pruning, each vector's coordinates on a few principal axes and the
        length of the rest give an upper bound of any cosine by Cauchy–Schwarz:
        q·d ≤ (Bq)·(Bd) + |q − BᵀBq|·|d − BᵀBd| (``semantic_bounds``)."""
        self.term_vectors = semantic.term_vectors(self.lexicon)
        # Columns in term order, rows summed in that order: a post's vector does not depend
        # on which other posts share its index (a delta and a rebuild agree to the bit).
        terms = sorted(self.vocab)
        table = self.term_vectors.matrix(terms)
        n = len(self.texts)
        if n and len(terms):
            columns = np.fromiter((self.vocab[t] for t in terms), np.int64, len(terms))
            by_term = self.matrix[:, columns].tocsr().astype(np.float32)
            by_term.sort_indices()
            docs = np.asarray(by_term @ table)
        else:
            docs = np.zeros((n, self.term_vectors.dims), dtype=np.float32)
        # int8 with a scale per row (the cosine needs only the direction: the scale
        # cancels): 300 bytes a post, and a gather of candidates converts fast.
        peak = np.abs(docs).max(axis=1, initial=0.0)
        scale = np.where(peak > 0, 127.0 / np.where(peak > 0, peak, 1.0), 0.0)
        self.semantic_docs = np.rint(docs * scale[:, None]).astype(np.int8)
        rows = self.semantic_docs.astype(np.float32)
        self.semantic_norm = np.sqrt(np.einsum("ij,ij->i", rows, rows)).astype(np.float32)
        self._semantic_bound = None  # axes, coordinates, rest: made on first need

    def semantic_axes(self) -> np.ndarray:
        """The bound's axes (``_principal_axes``), computed when a ranking first prunes
        (or a segment is saved): a delta of a few posts never needs them."""
        bound = self.__dict__.get("_semantic_bound")
        if bound is None:
            rows = self.semantic_docs.astype(np.float32)
            axes = _principal_axes(rows)
            safe = np.where(self.semantic_norm > 0, self.semantic_norm, 1.0)
            on_axes = (rows @ axes.T) / safe[:, None] if len(axes) else np.zeros((len(rows), 0))
            rest = np.sqrt(np.maximum(0.0, 1.0 - np.square(on_axes).sum(axis=1)))
            bound = self._semantic_bound = (
                axes,
                np.ascontiguousarray(on_axes, dtype=np.float32),
                np.where(self.semantic_norm > 0, rest, 0.0).astype(np.float32),
            )
        return bound[0]

    def semantic_values(self, rows: np.ndarray, q: _TextQuery) -> np.ndarray:
        """The semantic component of ``rows`` for the query (exact)."""
        vec = q.semantic_vector(self)
        if len(rows) == 0:
            return np.zeros(0)
        # einsum: each row's sum in one fixed order, whatever the other rows (BLAS may not).
        dots = np.einsum("ij,j->i", self.semantic_docs[rows], vec)
        norm = self.semantic_norm[rows]
        cosine = np.divide(dots, norm, out=np.zeros(len(rows), dtype=np.float32), where=norm > 0)
        prof = self._profile
        return semantic_value(cosine.astype(np.float64), prof.semantic_floor, prof.semantic_full)

    def semantic_bounds(self, q: _TextQuery, rows: np.ndarray) -> np.ndarray:
        """An upper bound of the semantic component of ``rows`` (cheap: a few axes)."""
        self.semantic_axes()
        _, docs_on_axes, docs_rest = self._semantic_bound
        on_axes, rest = q.semantic_on_axes(self)
        if len(rows) > len(self) // 8:  # most rows: one pass over the contiguous table
            bound = np.einsum("ij,j->i", docs_on_axes, on_axes)[rows]
        else:
            bound = np.einsum("ij,j->i", docs_on_axes[rows], on_axes)
        bound += docs_rest[rows] * np.float32(rest)
        bound += np.float32(1e-4)  # slack for the float32 sums, summed in another order
        prof = self._profile
        return semantic_value(bound, prof.semantic_floor, prof.semantic_full)

    @property
    def stats(self) -> CorpusStats:
        """The document frequencies this index weighs terms with (a delta reuses them)."""
        return CorpusStats(self.df, self.n_docs)

    def rows_of(self, ids: Iterable[str]) -> np.ndarray:
        """The rows holding the posts ``ids`` (those not in the index are left out)."""
        wanted = np.asarray(sorted(set(ids)), dtype=str)
        if len(wanted) == 0 or len(self) == 0:
            return np.empty(0, dtype=np.int64)
        by_id = np.argsort(self.id_rank)  # rows in id order
        found = np.searchsorted(self.ids[by_id], wanted)
        found = np.minimum(found, len(by_id) - 1)
        hit = self.ids[by_id[found]] == wanted
        return by_id[found[hit]].astype(np.int64)

    def text_query(self, text: PostText) -> _TextQuery:
        return _TextQuery(self, text)

    def query_text(self, query: Need | Offer) -> PostText:
        return post_text(query, self.lexicon)

    def idf_of(self, term: str) -> float:
        """BM25-style idf: rare terms weigh more; a term unseen in the corpus weighs most."""
        df = self.df.get(term, 0)
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    def _build_structure(self) -> None:
        h = self.hierarchy
        posts = self.posts
        n = len(posts)
        self.field_masks = np.fromiter((field_mask(p.fields) for p in posts), np.int64, n)
        self.form_masks = np.fromiter((form_mask(p.forms) for p in posts), np.int64, n)
        self.area_sets: list[frozenset[str]] = []
        set_id: dict[frozenset[str], int] = {}
        area_ids = np.empty(n, dtype=np.int32)
        for i, p in enumerate(posts):
            tags = h.canonical(p.areas)
            area_ids[i] = set_id.setdefault(tags, len(set_id))
            if area_ids[i] == len(self.area_sets):
                self.area_sets.append(tags)
        self.area_ids = area_ids
        self._area_tables: dict[frozenset[str], np.ndarray] = {}
        self.org_codes: dict[str, int] = {}
        self.orgs = np.fromiter(
            (self.org_codes.setdefault(p.organization_id, len(self.org_codes)) for p in posts),
            np.int64,
            n,
        )
        self.open = np.fromiter((p.is_open for p in posts), bool, n)
        self.last_day = np.fromiter((_ordinal(p.last_day(), NO_END) for p in posts), np.int64, n)
        starts, ends = [], []
        for p in posts:
            a, b = p.period()
            starts.append(_ordinal(a, NO_START))
            ends.append(_ordinal(b, NO_END))
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ends = np.asarray(ends, dtype=np.int64)
        self.cues = np.fromiter(
            (count_commercial_cues(t, self.lexicon) for t in self.texts), np.int64, n
        )
        if self.role == "offer":
            self.capacity = np.fromiter((max(p.capacity, 0) for p in posts), np.int64, n)
            self.active = np.fromiter((max(p.active_matches, 0) for p in posts), np.int64, n)

    def __len__(self) -> int:
        return len(self.posts)

    # ----------------------------------------------------------------- query

    def _text_stats(
        self, q: _TextQuery, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Candidates sharing ≥1 term (and ``allowed``, a mask over every row), with Σ q·d,
        Σ q over shared terms, Σ d over shared terms."""
        if len(q.cols) == 0 or len(self) == 0:
            empty = np.empty(0)
            return np.empty(0, dtype=np.int64), empty, empty, empty
        # One sparse product over the query's columns (the floor's own work) gives Σ q·d
        # and Σ d; the same columns as a pattern (all ones) give Σ q over shared terms.
        # Sums run in posting order, as the per-posting accumulation did: same floats.
        sub = self.matrix[:, q.cols]
        dot = sub @ q.values
        d_shared = sub @ np.ones(len(q.cols))
        if np.may_share_memory(sub.data, self.matrix.data):  # never write into the index
            sub = sub.copy()
        sub.data[:] = 1.0
        q_shared = sub @ q.values
        hit = q_shared > 0  # query weights are > 0: hit at least once
        cand = np.flatnonzero(hit if allowed is None else hit & allowed)
        return cand.astype(np.int64), dot[cand], q_shared[cand], d_shared[cand]

    def _allowed(self, query: Need | Offer, as_of: date) -> np.ndarray:
        """``_eligible`` as a mask over every row: one pass of whole-array operations,
        the query-independent part (open, not expired, forms) kept per day and form set."""
        qmask = form_mask(query.forms) if self._profile.require_form_overlap else 0
        key = (as_of.toordinal(), qmask)
        cache = self.__dict__.setdefault("_allowed_cache", {})
        base = cache.get(key)
        if base is None:
            base = self.open & (self.last_day >= as_of.toordinal())
            if qmask:
                base &= ((self.form_masks & qmask) != 0) | (self.form_masks == 0)
            if len(cache) >= 64:
                cache.clear()
            cache[key] = base
        if self._profile.exclude_same_organization:
            org = self.org_codes.get(query.organization_id)
            if org is not None:
                return base & (self.orgs != org)
        return base

    def _eligible(self, rows: np.ndarray, query: Need | Offer, as_of: date) -> np.ndarray:
        ok = self.open[rows] & (self.last_day[rows] >= as_of.toordinal())
        if self._profile.exclude_same_organization:
            org = self.org_codes.get(query.organization_id, -1)
            ok &= self.orgs[rows] != org
        if self._profile.require_form_overlap:
            qmask = form_mask(query.forms)
            if qmask:
                rmask = self.form_masks[rows]
                ok &= ((rmask & qmask) != 0) | (rmask == 0)
        return ok

    def _components(
        self,
        query: Need | Offer,
        rows: np.ndarray,
        stats: tuple[np.ndarray, np.ndarray, np.ndarray],
        q: _TextQuery,
        q_text: PostText,
        as_of: date,
    ) -> dict[str, np.ndarray]:
        comps = self._text_components(rows, stats, q)
        comps["semantic"] = self.semantic_values(rows, q)
        comps.update(self._structural_components(query, rows, q_text, as_of))
        return comps

    def _text_components(
        self, rows: np.ndarray, stats: tuple[np.ndarray, np.ndarray, np.ndarray], q: _TextQuery
    ) -> dict[str, np.ndarray]:
        dot, q_shared, d_shared = stats
        prof = self._profile
        denom = np.maximum(self.l2[rows] * q.l2, 1e-12)
        cosine = np.where(denom > 1e-12, dot / denom, 0.0)
        q_cov = q_shared / max(q.l1, 1e-12)
        l1 = self.l1[rows]
        d_cov = np.divide(d_shared, l1, out=np.zeros(len(rows)), where=l1 > 0)
        if self.role == "offer":  # query is the need
            need_cov, offer_cov = q_cov, d_cov
        else:
            need_cov, offer_cov = d_cov, q_cov
        harmonic = np.divide(
            2 * need_cov * offer_cov,
            need_cov + offer_cov,
            out=np.zeros(len(rows)),
            where=(need_cov + offer_cov) > 0,
        )
        return {
            "text": saturate(cosine, prof.text_kappa),
            "reciprocity": saturate(harmonic, prof.reciprocity_kappa),
            "_need_cov": need_cov,
            "_offer_cov": offer_cov,
        }

    def _structural_components(
        self, query: Need | Offer, rows: np.ndarray, q_text: PostText, as_of: date
    ) -> dict[str, np.ndarray]:
        comps: dict[str, np.ndarray] = {}
        q_fields = field_mask(query.fields)
        q_forms = form_mask(query.forms)
        comps["field"] = field_value(q_fields, self.field_masks[rows])
        table = self._area_table(self.hierarchy.canonical(query.areas))
        if self.role == "offer":
            comps["form"] = form_value(q_forms, self.form_masks[rows])
            ns, ne = need_interval(query.starts_on, query.ends_on, as_of)
            comps["period"] = period_value(ns, ne, self.starts[rows], self.ends[rows])
            comps["capacity"] = capacity_value(self.capacity[rows], self.active[rows])
            comps["commercial"] = commercial_value(self.cues[rows])
        else:
            comps["form"] = form_value(self.form_masks[rows], q_forms)
            today = as_of.toordinal()
            # Needs: start/end as stored; open ends get the default horizon.
            n_start = np.maximum(
                np.where(self.starts[rows] == NO_START, today, self.starts[rows]), today
            )
            n_end = np.where(self.ends[rows] == NO_END, n_start + 364, self.ends[rows])
            a, b = query.period()
            comps["period"] = period_value(
                n_start, n_end, _ordinal(a, NO_START), _ordinal(b, NO_END)
            )
            cap = capacity_value(query.capacity, query.active_matches)
            comps["capacity"] = np.full(len(rows), float(cap))
            cues = count_commercial_cues(q_text, self.lexicon)
            comps["commercial"] = np.full(len(rows), float(commercial_value(cues)))
        comps["area"] = table[self.area_ids[rows]] if len(table) else np.zeros(len(rows))
        return comps

    def _structural_bound(self, query: Need | Offer, rows: np.ndarray, w: dict) -> np.ndarray:
        """An upper bound of the structural part of the score (Σ w·value over the
        components besides text), per row: area and the offer's own capacity and sales
        tone exactly (lookups), the others at their maximum of 1."""
        table = self._area_table(self.hierarchy.canonical(query.areas))
        area = table[self.area_ids[rows]] if len(table) else np.zeros(len(rows))
        bound = w["area"] * area + (w["field"] + w["form"] + w["period"])
        if self.role == "offer":
            static = self.__dict__.get("_static_bound")
            if static is None:  # query-independent: computed once per index
                static = (
                    capacity_value(self.capacity, self.active),
                    commercial_value(self.cues),
                )
                self._static_bound = static
            return bound + w["capacity"] * static[0][rows] + w["commercial"] * static[1][rows]
        return bound + (w["capacity"] + w["commercial"])

    def _area_table(self, q_tags: frozenset[str]) -> np.ndarray:
        """Area fit of the query's areas against each distinct area set of the index: a
        table looked up per row. Queries share few distinct area sets, so the table is
        computed once per set and kept (it depends on nothing else)."""
        table = self._area_tables.get(q_tags)
        if table is None:
            h = self.hierarchy
            if self.role == "offer":  # the query is the need
                values = [area_value(h, q_tags, s) for s in self.area_sets]
            else:
                values = [area_value(h, s, q_tags) for s in self.area_sets]
            table = np.asarray(values, dtype=np.float64)
            if len(self._area_tables) >= AREA_TABLE_CACHE:
                self._area_tables.clear()
            self._area_tables[q_tags] = table
        return table

    def _rank(
        self,
        query: Need | Offer,
        *,
        as_of: date,
        profile: MatchingProfile,
        top_k: int | None,
        exposure: Mapping[str, int] | None,
        batch_counts: dict[int, int] | None = None,
    ) -> list[Suggestion]:
        return ranking.rank(
            [ranking.Layer(self)],
            query,
            as_of=as_of,
            profile=profile,
            top_k=top_k,
            exposure=exposure,
            batch_counts=batch_counts,
        )

    def _exposure(self, cand: np.ndarray, exposure: Mapping[str, int] | None) -> np.ndarray:
        counts = np.zeros(len(self.org_codes) + 1)
        for org, c in (exposure or {}).items():
            code = self.org_codes.get(org)
            if code is not None:
                counts[code] = max(float(c), 0.0)
        return counts[self.orgs[cand]]

    def _suggestion(
        self,
        query: Need | Offer,
        cand: np.ndarray,
        comps: dict[str, np.ndarray],
        w: dict[str, float],
        i: int,
        e: float,
        profile: MatchingProfile,
        qtext: PostText,
        rank: int,
    ) -> Suggestion:
        row = int(cand[i])
        post = self.posts[row]
        need, offer = (query, post) if self.role == "offer" else (post, query)
        parts = [
            ComponentScore(
                c, COMPONENT_LABELS[c], float(comps[c][i]), w[c], w[c] * float(comps[c][i])
            )
            for c in COMPONENTS
        ]
        positive = sum(p.contribution for p in parts)
        lam = profile.weights.fairness
        penalty = -lam * e * positive
        parts.append(ComponentScore("fairness", COMPONENT_LABELS["fairness"], e, lam, penalty))
        score = positive + penalty
        values = {p.name: p.value for p in parts}
        values["_need_cov"] = float(comps["_need_cov"][i])
        values["_offer_cov"] = float(comps["_offer_cov"][i])
        need_text, offer_text = (
            (qtext, self.texts[row]) if self.role == "offer" else (self.texts[row], qtext)
        )
        sides = self.__dict__.setdefault("_near_sides", {})
        near = semantic.near_pairs(
            self.term_vectors, need_text, offer_text, self.idf_of, sides=sides
        )
        reasons, weaknesses = explain(
            need,
            offer,
            values,
            hierarchy=self.hierarchy,
            need_text=need_text,
            offer_text=offer_text,
            idf=self.idf_of,
            fairness_on=lam > 0,
            lexicon=self.lexicon,
            near=near,
        )
        return Suggestion(
            need_id=need.id,
            offer_id=offer.id,
            score=float(score),
            components=tuple(parts),
            reasons=reasons,
            weaknesses=weaknesses,
            engine_version=ENGINE_VERSION,
            rank=rank,
        )


class OfferIndex(_PostIndex, ranking.OfferRanking):
    """Offers indexed for ranking against needs."""

    role = "offer"

    @classmethod
    def build(
        cls,
        offers: Sequence[Offer],
        hierarchy: AreaHierarchy,
        background: Iterable[PostText] = (),
        lexicon: Lexicon | None = None,
        stats: CorpusStats | None = None,
    ) -> OfferIndex:
        """``background``: extra analysed texts (e.g. the needs) that only count towards the
        document frequencies, so word rarity reflects the whole corpus of posts.
        ``lexicon``: the synonym dictionary (default: bundled); texts not pre-analysed are
        analysed with it, and so are queries without ``text``. ``stats``: weigh terms
        with these document frequencies instead of the offers' own (a delta segment uses
        its main segment's)."""
        return cls(offers, hierarchy, background, lexicon, stats)


class NeedIndex(_PostIndex, ranking.NeedRanking):
    """Needs indexed for ranking against a new offer."""

    role = "need"

    @classmethod
    def build(
        cls,
        needs: Sequence[Need],
        hierarchy: AreaHierarchy,
        background: Iterable[PostText] = (),
        lexicon: Lexicon | None = None,
        stats: CorpusStats | None = None,
    ) -> NeedIndex:
        return cls(needs, hierarchy, background, lexicon, stats)


def score_batch(
    index: OfferIndex,
    needs: Sequence[Need],
    *,
    as_of: date,
    top_k: int = 20,
    profile: MatchingProfile = DEFAULT_PROFILE,
    exposure: Mapping[str, int] | None = None,
) -> dict[str, list[Suggestion]]:
    """Function form of ``OfferIndex.rank_needs_chunk`` for task queues."""
    return index.rank_needs_chunk(
        needs, as_of=as_of, top_k=top_k, profile=profile, exposure=exposure
    )


def rank_offers(
    need: Need,
    offers: Sequence[Offer],
    hierarchy: AreaHierarchy,
    *,
    as_of: date,
    profile: MatchingProfile = DEFAULT_PROFILE,
    top_k: int | None = None,
    exposure: Mapping[str, int] | None = None,
    lexicon: Lexicon | None = None,
) -> list[Suggestion]:
    """Convenience for small sets: build a throw-away index and rank the offers for one need."""
    index = OfferIndex.build(
        offers, hierarchy, background=[post_text(need, lexicon)], lexicon=lexicon
    )
    return index.top_offers(need, as_of=as_of, top_k=top_k, profile=profile, exposure=exposure)
