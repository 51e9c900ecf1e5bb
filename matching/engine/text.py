"""Text analysis for the scoring engine: post text → weighted terms, synonym concepts, topics.

The pipeline (all without Django):

1. ``tsunagu.japanese.tokenize_units``: NFKC (全角/半角), Sudachi mode-C tokens with their
   *normalized forms* (子ども/子供/こども → 子供, 障がい/障害 → 障害) folded to lower case and
   hiragana, plus the mode-A parts of compounds (高齢者 → 高齢, 者).
2. Stop words and non-content parts of speech (particles, auxiliaries, symbols, numerals) drop.
3. Words listed together in ``data/synonyms.yaml`` become one *concept* term (``≈見出し``), so
   高齢者 / シニア / お年寄り meet. Multi-word phrases (災害への備え) are matched on the token
   sequence. Long katakana words are matched to the dictionary with rapidfuzz (ボランテイア).
4. Every post also gets *topic* terms (``#防災``) for each topic any of its words belong to; a
   weak, corpus-weighted bridge between posts on the same subject in different words.
5. Words that name a *way of working* (``formats`` in the dictionary: 講座, ワークショップ,
   イベント, 相談会…) rather than a subject count ``format_weight`` times (0.25) as much,
   make no topic and add no compound parts: two posts that share only 出前講座 share a
   format, not a subject. The reasons name them apart (``Lexicon.formats``).

The result, ``PostText``, is a small JSON-serialisable value the Django side may store beside
a post (``PostText.to_json``) so that building an index does not re-run Sudachi.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from lib.japanese import fold, tokenize_units

DATA_DIR = Path(__file__).parent / "data"
SYNONYMS_PATH = DATA_DIR / "synonyms.yaml"

CONCEPT_PREFIX = "≈"
TOPIC_PREFIX = "#"
BIGRAM_PREFIX = "~"

# Relative term frequencies: a word in the title says more about the post than one in the
# body; a part of a compound (高齢 in 高齢者) says less than the whole word.
TITLE_TF = 2.0
BODY_TF = 1.0
PART_TF = 0.5
TOPIC_TF = 0.5
BIGRAM_TF = 0.25

# Parts of speech (second level) that never carry a topic.
_SKIP_POS2 = frozenset({"数詞", "非自立可能", "代名詞"})
_SKIP_POS = frozenset({"接頭辞", "接尾辞", "連体詞", "副詞", "代名詞"})
_HAS_WORD_CHAR = re.compile(r"[0-9a-z\u3041-\u309f\u30a0-\u30ff\u3400-\u9fff]")
_ONLY_DIGITS = re.compile(r"^[0-9０-９.,%％~〜～\-]+$")
_KANA_ONLY = re.compile(r"^[\u3041-\u309fー]+$")

# Boilerplate of collaboration posts and generic verbs: frequent in every post, no topic.
# General Japanese, not taken from any dataset.
_STOP_WORDS_RAW = """
する 為る ある 有る いる 居る なる 成る できる 出来る 行う 行なう おこなう 思う 考える 頂く
下さる 貰う 致す おる 申す 願う お願い 求める 希望 募集 可能 必要 予定 場合 こと 事 もの 物
ため 為 とき 時 方 ほう 等 など 人 者 様 さま 方々 皆様 当 本 各 全 同 年 月 日 週 回 件 名 度
以上 以下 程度 中心 一緒 共 ともに 通じる 通す 持つ 使う 含める 関する 対する 向ける 基づく
市 区 町 村 県 都 府 道 団体 組織 協働 協力 提供 実施 活動 取り組み 取組 取り組む 事業 内容
予算 対象 目的 現在 今後 昨年度 今年度 年度 毎年 一部 全体 様々 さまざま 多く 多い 少ない
よう 様子 ところ 所 ここ そこ それ これ 自分 私 私たち 我々 当法人 当会 弊社 当社 本校
いただく 下さい ください 又は また および 及び 並びに 該当 具体 具体的 上 中 内 外 間 後 前
目指す 進める 図る 担う 生かす 活かす 役立てる 関わる 加わる 広げる 続ける 増やす 減らす
ある程度 うち よる 因る 割 際 点 面 化 的 性 つくる 作る 作り づくり 作成 開く 開催
行事 機会 場 形 形式 形態 連携 協議 相談
""".split()

# Above this length a text is truncated before tokenization: no real post needs more, and
# it bounds the cost of a pasted document.
MAX_TEXT_CHARS = 20_000


_FLOATS: dict[float, float] = {}


def _shared_float(v: float) -> float:
    # Term frequencies take few distinct values (multiples of 0.25): share the objects.
    v = float(v)
    return _FLOATS.setdefault(v, v) if len(_FLOATS) < 4096 else v


@dataclass(frozen=True, slots=True)
class PostText:
    """The analysed text of one post.

    ``keys``/``tfs``: term keys (Sudachi normalized forms, ``≈concept``, ``#topic`` and ``~``
    character-bigram keys) and their weighted term frequencies, sorted by key.
    ``surface_keys``/``surfaces``: the first spelling as written, for keys that differ from it,
    so a reason can say 「類義語: 高齢者 ≈ シニア」 or show シニア, not しにあ.
    Parallel tuples of interned strings keep 100,000 posts small in memory.
    """

    keys: tuple[str, ...]
    tfs: tuple[float, ...]
    surface_keys: tuple[str, ...] = ()
    surfaces: tuple[str, ...] = ()

    @classmethod
    def from_terms(cls, terms: dict[str, float], surfaces: dict[str, str]) -> PostText:
        items = sorted(terms.items())
        sitems = sorted(surfaces.items())
        return cls(
            keys=tuple(sys.intern(k) for k, _ in items),
            tfs=tuple(_shared_float(v) for _, v in items),
            surface_keys=tuple(sys.intern(k) for k, _ in sitems),
            surfaces=tuple(sys.intern(v) for _, v in sitems),
        )

    @property
    def terms(self) -> tuple[tuple[str, float], ...]:
        return tuple(zip(self.keys, self.tfs, strict=True))

    def term_dict(self) -> dict[str, float]:
        return dict(zip(self.keys, self.tfs, strict=True))

    def surface_dict(self) -> dict[str, str]:
        return dict(zip(self.surface_keys, self.surfaces, strict=True))

    def to_json(self) -> dict:
        """A JSON-able value to store beside the post (e.g. in a JSONField)."""
        return {
            "v": ANALYSIS_VERSION,
            "terms": [[k, t] for k, t in zip(self.keys, self.tfs, strict=True)],
            "surfaces": [[k, s] for k, s in zip(self.surface_keys, self.surfaces, strict=True)],
        }

    @classmethod
    def from_json(cls, data: dict) -> PostText:
        if data.get("v") != ANALYSIS_VERSION:
            raise ValueError(
                f"PostText was analysed with version {data.get('v')!r}, engine expects "
                f"{ANALYSIS_VERSION!r}: re-analyse the post"
            )
        return cls.from_terms(
            {str(k): float(v) for k, v in data["terms"]},
            {str(k): str(s) for k, s in data.get("surfaces", [])},
        )


@dataclass(frozen=True)
class Lexicon:
    """The synonym dictionary compiled to term keys."""

    version: str
    concept_of: dict[str, str]  # term key → concept key
    phrases: dict[str, list[tuple[tuple[str, ...], str]]]  # first token → [(tokens, concept)]
    topics_of: dict[str, tuple[str, ...]]  # term or concept key → topic keys
    labels: dict[str, str]  # concept/topic key → display label
    fuzzy_keys: tuple[str, ...]  # long kana keys, candidates for rapidfuzz near-matching
    commercial_cues: tuple[tuple[str, ...], ...]  # sales-pitch cues, each a set of term keys
    # Term keys (words, concepts, phrases) that name a way of working, not a subject, and
    # the factor their term frequency is multiplied by.
    formats: frozenset[str] = frozenset()
    format_weight: float = 1.0
    fingerprint: str = ""  # hash of the dictionary's content: part of ``analysis_version``
    _fuzzy_cache: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    # The cues' positions by their first key, built on first use (``commercial_cues``).
    _cue_cache: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def analysis_version(self) -> str:
        """Store this with analysed text: it changes when the analyser or dictionary does."""
        return f"{ANALYSIS_VERSION}:{self.fingerprint}"


def _word_tokens(text: str) -> list[str]:
    return [u.normalized for u in tokenize_units(text)]


def _content_keys(text: str) -> list[str]:
    return [u.normalized for u in tokenize_units(text) if u.content]


def default_lexicon_data() -> dict:
    """The bundled dictionary as data (``synonyms``, ``topics``, ``commercial_cues``,
    ``formats``, ``format_weight``), e.g. to seed the coordinators' editable synonym table."""
    return yaml.safe_load(SYNONYMS_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def load_lexicon(path: str | None = None) -> Lexicon:
    """The dictionary in ``synonyms.yaml`` (or another YAML file of the same shape), compiled."""
    return build_lexicon(yaml.safe_load(Path(path or SYNONYMS_PATH).read_text(encoding="utf-8")))


def build_lexicon(raw: dict) -> Lexicon:
    """Compile a dictionary given as data: ``{"synonyms": [[見出し, 語, ...], ...],
    "topics": {話題: [語, ...]}, "commercial_cues": [語, ...], "version": "..."}`` (topics and
    cues optional). Every word is tokenized like a post, so lookups see the same normalized
    forms. A word listed in two groups keeps its first group. The Django side can build one
    from the coordinators' synonym table and pass it to ``analyze_post`` and the indexes."""
    fingerprint = hashlib.sha256(
        json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str).encode()
    ).hexdigest()[:12]
    concept_of: dict[str, str] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
    labels: dict[str, str] = {}
    for group in raw.get("synonyms") or []:
        if not group:
            continue
        head = str(group[0])
        key = sys.intern(CONCEPT_PREFIX + fold(head))
        labels[key] = head
        for variant in group:
            toks = _word_tokens(str(variant))
            content = _content_keys(str(variant))
            if len(content) == 1 and len(toks) == 1:
                concept_of.setdefault(content[0], key)
            elif toks:
                phrases[toks[0]].append((tuple(toks), key))
    topics_of: dict[str, set[str]] = defaultdict(set)
    for topic, members in (raw.get("topics") or {}).items():
        tkey = sys.intern(TOPIC_PREFIX + fold(str(topic)))
        labels[tkey] = str(topic)
        for member in members:
            content = _content_keys(str(member))
            if not content:
                continue
            # A member is matched through its concept when it has one, else as a word/phrase.
            if len(content) == 1:
                topics_of[concept_of.get(content[0], content[0])].add(tkey)
            else:
                toks = _word_tokens(str(member))
                pkey = sys.intern(CONCEPT_PREFIX + "phrase:" + "".join(toks))
                phrases[toks[0]].append((tuple(toks), pkey))
                topics_of[pkey].add(tkey)
    formats = _compile_formats(raw.get("formats") or {}, concept_of, phrases, labels)
    for lst in phrases.values():
        lst.sort(key=lambda p: -len(p[0]))  # longest phrase first
    fuzzy_keys = tuple(sorted(k for k in concept_of if len(k) >= 4 and _KANA_ONLY.match(k)))
    # A cue of several words (無料体験) counts only when all its words occur.
    cues = sorted(
        {tuple(sorted(set(_content_keys(str(c))))) for c in raw.get("commercial_cues") or []}
    )
    return Lexicon(
        version=str(raw.get("version", "0")),
        concept_of=concept_of,
        phrases=dict(phrases),
        topics_of={k: tuple(sorted(v)) for k, v in topics_of.items()},
        labels=labels,
        fuzzy_keys=fuzzy_keys,
        commercial_cues=tuple(c for c in cues if c),
        formats=formats,
        format_weight=float(raw.get("format_weight", 1.0)),
        fingerprint=fingerprint,
    )


def _compile_formats(
    formats: dict,
    concept_of: dict[str, str],
    phrases: dict[str, list[tuple[tuple[str, ...], str]]],
    labels: dict[str, str],
) -> frozenset[str]:
    """The term keys of the format words (``formats``: category → words). A listed word is
    always a format. When it belongs to a synonym group whose headword is listed too, the
    group's concept is the format (講座 and ワークショップ meet as ≈ワークショップ); when the
    group is about a subject (相談会 in ≈相談), the word becomes a term of its own
    (a word before its concept in ``_analyze_one``; a phrase replacing the group's one)."""
    words = [str(w) for members in formats.values() for w in members or ()]
    listed = {fold(w) for w in words}
    out: set[str] = set()
    for word in words:
        toks = _word_tokens(word)
        content = _content_keys(word)
        if len(content) == 1 and len(toks) == 1:
            concept = concept_of.get(content[0])
            heads_format = concept is not None and fold(labels.get(concept, "")) in listed
            out.add(concept if heads_format else content[0])
            continue
        if not toks:
            continue
        toks = tuple(toks)
        same = [(t, c) for t, c in phrases.get(toks[0], ()) if t == toks]
        if same and fold(labels.get(same[0][1], "")) in listed:
            out.add(same[0][1])
            continue
        key = sys.intern(CONCEPT_PREFIX + "phrase:" + "".join(toks))
        labels.setdefault(key, word)
        kept = [(t, c) for t, c in phrases.get(toks[0], ()) if t != toks]
        phrases[toks[0]] = [*kept, (toks, key)]
        out.add(key)
    return frozenset(out)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    return frozenset(fold(w) for w in _STOP_WORDS_RAW)


ANALYSIS_VERSION = "2"


def _fuzzy_concept(lex: Lexicon, key: str) -> str | None:
    """A long kana word not in the dictionary, close to a listed one (typos, long-vowel and
    small-kana variants: ぼらんていあ ≈ ぼらんてぃあ) → that word's concept."""
    if len(key) < 5 or not _KANA_ONLY.match(key) or not lex.fuzzy_keys:
        return None
    if key in lex._fuzzy_cache:
        return lex._fuzzy_cache[key]
    hit = process.extractOne(key, lex.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=80)
    concept = lex.concept_of[hit[0]] if hit else None
    if len(lex._fuzzy_cache) < 65536:
        lex._fuzzy_cache[key] = concept
    return concept


_HAS_KANJI = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=65536)
def _kana_alias(key: str) -> str:
    """A word written in katakana that Sudachi only knows in hiragana or kanji (ヒロバ → 広場):
    re-read its hiragana form; keep the result only if it is one word with a kanji spelling."""
    if len(key) < 2 or not _KANA_ONLY.match(key):
        return key
    units = tokenize_units(key)
    if len(units) == 1 and units[0].content and _HAS_KANJI.search(units[0].normalized):
        return units[0].normalized
    return key


def _is_term(key: str, unit_pos: str, unit_pos2: str) -> bool:
    if unit_pos in _SKIP_POS or unit_pos2 in _SKIP_POS2:
        return False
    if not _HAS_WORD_CHAR.search(key) or _ONLY_DIGITS.match(key):
        return False
    # One hiragana character (e.g. a stray okurigana) carries nothing.
    if len(key) == 1 and _KANA_ONLY.match(key):
        return False
    return key not in stop_words()


def _add(bag: dict[str, float], key: str, tf: float) -> None:
    key = sys.intern(key)
    bag[key] = bag.get(key, 0.0) + tf


def _analyze_one(
    lex: Lexicon, text: str, tf: float, bag: dict[str, float], surfaces: dict[str, str]
) -> None:
    units = tokenize_units(text[:MAX_TEXT_CHARS])
    norm = [u.normalized for u in units]
    i = 0
    while i < len(units):
        u = units[i]
        # Multi-word synonym phrases first (災害への備え), longest match wins.
        matched = False
        for toks, concept in lex.phrases.get(u.normalized, ()):
            n = len(toks)
            if tuple(norm[i : i + n]) == toks:
                _add(bag, concept, tf * lex.format_weight if concept in lex.formats else tf)
                surfaces.setdefault(concept, "".join(x.surface for x in units[i : i + n]))
                i += n
                matched = True
                break
        if matched:
            continue
        i += 1
        if not u.content:
            continue
        key = u.normalized
        if key not in lex.concept_of and u.surface != key:
            key = _kana_alias(key)  # only katakana surfaces fold to a differing kana key
        concept = None if key in lex.formats else lex.concept_of.get(key)
        concept = concept or (None if key in lex.formats else _fuzzy_concept(lex, key))
        if concept:
            _add(bag, concept, tf * lex.format_weight if concept in lex.formats else tf)
            surfaces.setdefault(concept, u.surface)
            continue
        if not _is_term(key, u.pos, u.pos2):
            continue
        if key in lex.formats:
            # A way of working (交流会, セミナー): a weak term, and its parts say no more.
            _add(bag, key, tf * lex.format_weight)
            if u.surface != key:
                surfaces.setdefault(key, u.surface)
            continue
        _add(bag, key, tf)
        if u.surface != key:
            surfaces.setdefault(key, u.surface)
        # Character bigrams of longer words: a weak near-match for compounds Sudachi keeps
        # whole (祭り囃子 / お囃子 share 囃子), like a character n-gram model but inside words.
        if len(key) >= 3:
            for j in range(len(key) - 1):
                _add(bag, BIGRAM_PREFIX + key[j : j + 2], tf * BIGRAM_TF)
        # Parts of a compound let 交通安全教室 meet 交通安全 and 教室, at lower weight.
        for part in u.parts:
            pconcept = lex.concept_of.get(part)
            if pconcept:
                _add(bag, pconcept, tf * PART_TF)
                surfaces.setdefault(pconcept, part)
            elif len(part) >= 2 and part != key and part not in stop_words():
                if _HAS_WORD_CHAR.search(part) and not _ONLY_DIGITS.match(part):
                    _add(bag, part, tf * PART_TF)


def analyze_post(title: str, description: str = "", lexicon: Lexicon | None = None) -> PostText:
    """Analyse a post's title and description into weighted terms (see module docstring).

    ``lexicon``: the dictionary to use (default: the bundled ``synonyms.yaml``). Index and
    stored texts must use the same one; compare ``Lexicon.analysis_version``."""
    lex = lexicon or load_lexicon()
    bag: dict[str, float] = {}
    surfaces: dict[str, str] = {}
    _analyze_one(lex, title or "", TITLE_TF, bag, surfaces)
    _analyze_one(lex, description or "", BODY_TF, bag, surfaces)
    topics: dict[str, float] = {}
    for key in bag:
        if key in lex.formats:
            continue  # a format is no subject: 講座 does not make a post about 社会教育
        for topic in lex.topics_of.get(key, ()):
            topics[topic] = TOPIC_TF  # presence, not count: a topic is a weak bridge
    for topic, tf in topics.items():
        _add(bag, topic, tf)
    return PostText.from_terms(bag, surfaces)


def commercial_cues(text: PostText, lexicon: Lexicon | None = None) -> tuple[str, ...]:
    """The sales-pitch cue words (``commercial_cues`` in the dictionary) a post contains, in
    the dictionary's order. Only the cues whose first key the text has are tested (the
    reasons of every suggestion shown ask for them)."""
    lex = lexicon or load_lexicon()
    if not lex._cue_cache and lex.commercial_cues:
        by_first: dict[str, list[int]] = {}
        for position, cue in enumerate(lex.commercial_cues):
            by_first.setdefault(cue[0], []).append(position)
        lex._cue_cache.update({key: tuple(found) for key, found in by_first.items()})
    hits = sorted({p for key in text.keys for p in lex._cue_cache.get(key, ())})
    if not hits:
        return ()
    keys = set(text.keys)
    cues = lex.commercial_cues
    return tuple("".join(cues[p]) for p in hits if all(k in keys for k in cues[p]))


@lru_cache(maxsize=8)
def _cues_by_first_key(
    cues: tuple[tuple[str, ...], ...],
) -> tuple[dict[str, tuple[tuple[str, ...], ...]], int]:
    """Each cue under its first key (a text is checked only for cues it can contain), and
    how many cues have no key at all (they are in every text)."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    empty = 0
    for cue in cues:
        if cue:
            by_first.setdefault(cue[0], []).append(cue)
        else:
            empty += 1
    return {k: tuple(v) for k, v in by_first.items()}, empty


def count_commercial_cues(text: PostText, lexicon: Lexicon | None = None) -> int:
    """``len(commercial_cues(text))``, without testing every cue against every text (what
    an index build asks for 100,000 posts)."""
    lex = lexicon or load_lexicon()
    by_first, count = _cues_by_first_key(tuple(tuple(c) for c in lex.commercial_cues))
    keys: set[str] | None = None
    for key in text.keys:
        for cue in by_first.get(key, ()):
            if keys is None:
                keys = set(text.keys)
            if all(k in keys for k in cue):
                count += 1
    return count


def display_term(key: str, lexicon: Lexicon | None = None) -> str:
    """How a term key is shown to a coordinator: concept and topic keys by their label."""
    if key.startswith(CONCEPT_PREFIX) or key.startswith(TOPIC_PREFIX):
        label = (lexicon or load_lexicon()).labels.get(key)
        if label:
            return label
        return key[1:].removeprefix("phrase:")
    return key
