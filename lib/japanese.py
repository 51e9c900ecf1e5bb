"""Japanese text normalization shared by search and the scoring engine.

Plain Python (no Django): the scoring engine in ``matching/engine`` imports this too.

Three layers, each answering a different kind of notation variant:

* ``fold``: NFKC (全角/半角 → one form), lower case, katakana → hiragana, spaces collapsed.
  ``ＮＰＯ`` = ``npo``, ``ボランティア`` = ``ぼらんてぃあ``.
* Sudachi *normalized forms*: 子ども/子供/こども → 子供, 障がい/障害/障碍 → 障害,
  ヴァイオリン → バイオリン.
* Sudachi *readings*, used only for queries written entirely in kana, so that おはやし finds
  お囃子 without letting every homophone of a kanji word match.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_KATAKANA_START = 0x30A1
_KATAKANA_END = 0x30F6
_KANA_SHIFT = 0x60
_SPACES = re.compile(r"\s+")
_KANA_ONLY = re.compile(r"^[\u3041-\u309f\u30a0-\u30ffー・\s]+$")

# Sudachi part-of-speech heads that carry no topic (particles, auxiliaries, symbols, blanks).
_STOP_POS = frozenset({"助詞", "助動詞", "補助記号", "空白", "記号", "接続詞", "感動詞"})


def katakana_to_hiragana(text: str) -> str:
    return "".join(
        chr(ord(ch) - _KANA_SHIFT) if _KATAKANA_START <= ord(ch) <= _KATAKANA_END else ch
        for ch in text
    )


def fold(text: str) -> str:
    """NFKC + lower case + katakana→hiragana + collapsed white space."""
    text = unicodedata.normalize("NFKC", text or "")
    text = katakana_to_hiragana(text.lower())
    return _SPACES.sub(" ", text).strip()


def is_kana_only(text: str) -> bool:
    return bool(_KANA_ONLY.match(unicodedata.normalize("NFKC", text or "")))


@dataclass(frozen=True, slots=True)
class Token:
    surface: str
    normalized: str  # Sudachi normalized form, folded
    reading: str  # reading, folded to hiragana
    pos: str  # first part-of-speech level, e.g. 名詞
    content: bool  # False for particles, symbols, etc.


_local = threading.local()


def _tokenizer():
    # A Sudachi tokenizer is not safe to share between threads; the dictionary is
    # memory-mapped, so one tokenizer per thread is cheap.
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        from sudachipy import Dictionary

        tok = Dictionary(dict="core").tokenizer()
        _local.tokenizer = tok
    return tok


def tokenize(text: str) -> list[Token]:
    """Sudachi tokens (mode C: longest units) of NFKC-normalized text."""
    from sudachipy import SplitMode

    text = unicodedata.normalize("NFKC", text or "")
    if not text.strip():
        return []
    out: list[Token] = []
    # Sudachi rejects inputs above ~49,000 bytes; split long texts on sentence ends.
    for chunk in _chunks(text):
        for m in _tokenizer().tokenize(chunk, SplitMode.C):
            surface = m.surface()
            if not surface.strip():
                continue
            pos = m.part_of_speech()[0]
            out.append(
                Token(
                    surface=surface,
                    normalized=fold(m.normalized_form()),
                    reading=fold(m.reading_form()),
                    pos=pos,
                    content=pos not in _STOP_POS,
                )
            )
    return out


def _chunks(text: str, limit: int = 4000) -> list[str]:
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    buf = ""
    for sentence in re.split(r"(?<=[。．！？!?\n])", text):
        while len(sentence) > limit:
            parts.append(sentence[:limit])
            sentence = sentence[limit:]
        if len(buf) + len(sentence) > limit:
            parts.append(buf)
            buf = ""
        buf += sentence
    if buf:
        parts.append(buf)
    return parts


def search_document(*texts: str) -> str:
    """The text stored beside a record for normalized search (see ``query_variants``).

    Three lines: the folded surface text, the joined normalized forms, the joined readings.
    """
    joined = "\n".join(t for t in texts if t)
    toks = tokenize(joined)
    return "\n".join(
        [
            fold(joined).replace("\n", " "),
            "".join(t.normalized for t in toks),
            "".join(t.reading for t in toks),
        ]
    )


@lru_cache(maxsize=2048)
def query_variants(term: str) -> tuple[str, ...]:
    """Strings any one of which, found in a ``search_document``, means the term matches."""
    folded = fold(term)
    if not folded:
        return ()
    variants = [folded]
    toks = tokenize(term)
    normalized = "".join(t.normalized for t in toks)
    if normalized and normalized not in variants:
        variants.append(normalized)
    if is_kana_only(term):
        reading = "".join(t.reading for t in toks) or folded
        if reading not in variants:
            variants.append(reading)
    return tuple(variants)


def split_query(q: str, max_terms: int = 8) -> list[str]:
    """Split a user's query on white space (全角 spaces too); at most ``max_terms`` terms."""
    terms = [t for t in unicodedata.normalize("NFKC", q or "").split() if t]
    return terms[:max_terms]


@dataclass(frozen=True, slots=True)
class Unit:
    """A Sudachi mode-C token with its mode-A sub-units (for compounds such as 高齢者 → 高齢+者)."""

    surface: str
    normalized: str  # Sudachi normalized form, folded (katakana → hiragana, NFKC, lower case)
    pos: str  # first part-of-speech level
    pos2: str  # second level, e.g. 数詞, 非自立可能
    content: bool
    parts: tuple[str, ...]  # folded normalized forms of the mode-A units; () if not a compound


def tokenize_units(text: str) -> list[Unit]:
    """Mode-C tokens with their mode-A parts, so a compound can match on its whole and its parts.

    Used by the scoring engine; ``tokenize`` (search) is unchanged.
    """
    from sudachipy import SplitMode

    text = unicodedata.normalize("NFKC", text or "")
    if not text.strip():
        return []
    out: list[Unit] = []
    for chunk in _chunks(text):
        for m in _tokenizer().tokenize(chunk, SplitMode.C):
            surface = m.surface()
            if not surface.strip():
                continue
            pos = m.part_of_speech()
            subs = m.split(SplitMode.A)
            parts = tuple(fold(s.normalized_form()) for s in subs) if len(subs) > 1 else ()
            out.append(
                Unit(
                    surface=surface,
                    normalized=fold(m.normalized_form()),
                    pos=pos[0],
                    pos2=pos[1],
                    content=pos[0] not in _STOP_POS,
                    parts=parts,
                )
            )
    return out
