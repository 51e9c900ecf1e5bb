"""Reasons and weaknesses in Japanese, for a coordinator reading a suggestion at a glance.

Built from the same component values as the score (never recomputed differently), plus the
shared terms for the text reasons. Reasons come strongest first. A reason names what
overlaps (the shared words) rather than a bare percentage: 「内容の17%が重なる」 tells a
coordinator nothing they can check against the two texts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from matching.engine.features import (
    FIELD_LABELS,
    FORM_LABELS,
    WEAK_FORMS,
    AreaHierarchy,
    Need,
    Offer,
)
from matching.engine.text import (
    BIGRAM_PREFIX,
    CONCEPT_PREFIX,
    TOPIC_PREFIX,
    Lexicon,
    PostText,
    commercial_cues,
    display_term,
    load_lexicon,
)

MAX_KEYWORDS = 5
MAX_SYNONYMS = 3
MAX_SHARED_WORDS = 4
MAX_MISSING_WORDS = 3
SEP = "・"


def _join(items: list[str]) -> str:
    return SEP.join(items)


def _areas_label(hierarchy: AreaHierarchy, tags: frozenset[str]) -> str:
    return _join(sorted(hierarchy.name(t) for t in tags)) if tags else "記載なし"


def _forms_label(codes: frozenset[str]) -> str:
    return _join([FORM_LABELS.get(c, c) for c in FORM_LABELS if c in codes]) or "記載なし"


def _readable(term: str) -> bool:
    # Topics and in-word character pairs count in the score but are not words of the text.
    return not term.startswith((TOPIC_PREFIX, BIGRAM_PREFIX))


def _distinct(words: list[str], limit: int) -> list[str]:
    """The first ``limit`` words, leaving out one already said inside a longer one
    (高齢 after 高齢者)."""
    out: list[str] = []
    for word in words:
        if any(word in seen or seen in word for seen in out):
            continue
        out.append(word)
        if len(out) == limit:
            break
    return out


def _shared_words(
    need_text: PostText,
    offer_text: PostText,
    idf: Callable[[str], float],
    lexicon: Lexicon | None = None,
) -> list[str]:
    """The words both texts weigh most, as the need writes them (a synonym pair as
    「高齢者／シニア」)."""
    need_terms, offer_terms = need_text.term_dict(), offer_text.term_dict()
    need_surf, offer_surf = need_text.surface_dict(), offer_text.surface_dict()
    formats = (lexicon or load_lexicon()).formats  # a shared format is not what fits
    shared = sorted(
        (t for t in set(need_terms) & set(offer_terms) if _readable(t) and t not in formats),
        key=lambda t: (-idf(t) * min(need_terms[t], offer_terms[t]), t),
    )
    words = []
    for term in shared:
        a = need_surf.get(term, term)
        b = offer_surf.get(term, term)
        if term.startswith(CONCEPT_PREFIX):
            words.append(a if a == b else f"{a}／{b}")
        else:
            words.append(a)
    return _distinct(words, MAX_SHARED_WORDS)


def _missing_words(text: PostText, other: PostText, idf: Callable[[str], float]) -> list[str]:
    """The words ``text`` weighs most that ``other`` does not use at all."""
    terms, other_terms = text.term_dict(), other.term_dict()
    surf = text.surface_dict()
    missing = sorted(
        (t for t in terms if t not in other_terms and _readable(t)),
        key=lambda t: (-idf(t) * terms[t], t),
    )
    return _distinct([surf.get(t, t) for t in missing], MAX_MISSING_WORDS)


def text_reasons(
    need_text: PostText,
    offer_text: PostText,
    idf: Callable[[str], float],
    lexicon: Lexicon | None = None,
    near: Sequence[tuple[str, str, float]] = (),
) -> tuple[list[str], list[str]]:
    """The text reasons: shared subject words, synonyms, words close in meaning (``near``:
    pairs of the semantic component) and topics, and apart from them the shared *formats*
    (講座, ワークショップ: how the work is done, not what it is about), which alone are no
    reason to suggest a pair."""
    need_terms = need_text.term_dict()
    offer_terms = offer_text.term_dict()
    need_surf = need_text.surface_dict()
    offer_surf = offer_text.surface_dict()
    formats = (lexicon or load_lexicon()).formats
    reasons: list[str] = []
    weaknesses: list[str] = []
    if not need_terms or not offer_terms:
        which = "テーマ" if not need_terms else "提案"
        if not need_terms and not offer_terms:
            which = "テーマと提案"
        weaknesses.append(f"{which}の文面から手がかりとなる語を読み取れない")
        return reasons, weaknesses
    shared = sorted(
        set(need_terms) & set(offer_terms),
        key=lambda t: (-idf(t) * min(need_terms[t], offer_terms[t]), t),
    )
    keywords: list[str] = []
    synonyms: list[str] = []
    topics: list[str] = []
    shared_formats: list[str] = []
    for term in shared:
        if term.startswith(TOPIC_PREFIX):
            topics.append(display_term(term, lexicon))
            continue
        if term.startswith(BIGRAM_PREFIX):
            continue  # in-word character pairs count in the score but mean nothing to a reader
        a = need_surf.get(term, term)
        b = offer_surf.get(term, term)
        said = f"{a} ≈ {b}" if term.startswith(CONCEPT_PREFIX) and a != b else a
        if term in formats:
            shared_formats.append(said)
        elif said != a:
            synonyms.append(said)
        else:
            keywords.append(a)
    keywords = list(dict.fromkeys(keywords))
    close = [
        need_surf.get(a, display_term(a, lexicon))
        + " ～ "
        + offer_surf.get(b, display_term(b, lexicon))
        for a, b, _ in near
    ]
    if keywords:
        reasons.append("共通するキーワード: " + _join(keywords[:MAX_KEYWORDS]))
    if synonyms:
        reasons.append("類義語: " + "、".join(synonyms[:MAX_SYNONYMS]))
    if close:
        reasons.append("近い意味: " + "、".join(close))
    if topics and not keywords and not synonyms:
        reasons.append("関連する話題: " + _join(topics[:3]))
    elif topics:
        reasons.append("同じ話題: " + _join(topics[:3]))
    subject = keywords or synonyms or topics or close
    if shared_formats:
        said = "、".join(list(dict.fromkeys(shared_formats))[:MAX_SYNONYMS])
        if subject:
            reasons.append(f"形式も共通（やり方の一致で、内容の手がかりとしては弱い）: {said}")
        else:
            weaknesses.append(f"共通するのは形式の語（{said}）だけで、内容の共通点が見つからない")
    elif not subject:
        weaknesses.append("内容の共通点が見つからない")
    return reasons, weaknesses


def explain(
    need: Need,
    offer: Offer,
    values: Mapping[str, float],
    *,
    hierarchy: AreaHierarchy,
    need_text: PostText,
    offer_text: PostText,
    idf: Callable[[str], float],
    fairness_on: bool,
    lexicon: Lexicon | None = None,
    near: Sequence[tuple[str, str, float]] = (),
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    reasons, weaknesses = text_reasons(need_text, offer_text, idf, lexicon, near)

    need_cov, offer_cov = values["_need_cov"], values["_offer_cov"]
    if values["reciprocity"] >= 0.5:
        both = _shared_words(need_text, offer_text, idf, lexicon)
        if both:
            reasons.append(f"双方向に合う: 「{_join(both)}」がテーマと提案の両方で中心になっている")
        else:
            reasons.append("双方向に合う: テーマと提案が互いの内容に触れている")
    elif max(need_cov, offer_cov) > 0 and min(need_cov, offer_cov) < 0.35 * max(
        need_cov, offer_cov
    ):
        if need_cov < offer_cov:
            missing = _missing_words(need_text, offer_text, idf)
            weaknesses.append(
                f"一方向の一致: テーマの「{_join(missing)}」が提案に見当たらない"
                if missing
                else "一方向の一致: テーマの求める内容の多くが提案に見当たらない"
            )
        else:
            extra = _missing_words(offer_text, need_text, idf)
            weaknesses.append(
                f"一方向の一致: 提案の「{_join(extra)}」はテーマに出てこない"
                if extra
                else "一方向の一致: 提案の内容の多くはテーマと重ならない"
            )

    shared_fields = [
        FIELD_LABELS.get(f, f) for f in FIELD_LABELS if f in need.fields & offer.fields
    ]
    if shared_fields:
        reasons.append("分野が一致: " + _join(shared_fields))
    elif need.fields and offer.fields:
        weaknesses.append("分野タグの重なりなし（分野は目安）")
    elif not need.fields or not offer.fields:
        weaknesses.append("分野の記載なし")

    need_tags = hierarchy.canonical(need.areas)
    offer_tags = hierarchy.canonical(offer.areas)
    area = values["area"]
    if not need_tags or not offer_tags:
        weaknesses.append("活動地域の記載なし")
    elif area >= 0.999:
        if offer_tags == need_tags:
            reasons.append(f"活動地域: {_areas_label(hierarchy, offer_tags)}（テーマと同じ）")
        else:
            reasons.append(f"活動地域: {_areas_label(hierarchy, offer_tags)}（テーマの地域を含む）")
    elif area > 0:
        weaknesses.append(
            f"活動地域が一部のみ: 提案は{_areas_label(hierarchy, offer_tags)}、"
            f"テーマは{_areas_label(hierarchy, need_tags)}"
        )
    else:
        weaknesses.append(
            f"活動地域が異なる: テーマは{_areas_label(hierarchy, need_tags)}、"
            f"提案は{_areas_label(hierarchy, offer_tags)}"
        )

    shared_forms = need.forms & offer.forms
    form = values["form"]
    if not need.forms or not offer.forms:
        weaknesses.append("協働形態の記載なし")
    elif form >= 0.999:
        reasons.append("協働形態が合う: " + _forms_label(shared_forms))
    elif form > 0:
        weaknesses.append(
            f"協働形態は{_forms_label(shared_forms & WEAK_FORMS)}のみ一致"
            f"（テーマは{_forms_label(need.forms)}）"
        )
    else:
        weaknesses.append(
            f"協働形態が合わない: テーマは{_forms_label(need.forms)}、"
            f"提案は{_forms_label(offer.forms)}"
        )

    period = values["period"]
    if period >= 0.999:
        reasons.append("期間: テーマの期間中ずっと対応できる")
    elif period <= 0:
        weaknesses.append("期間が重ならない")
    elif period < 0.5:
        weaknesses.append(f"期間の重なりが短い（テーマ期間の{period:.0%}）")
    else:
        weaknesses.append(f"期間が一部重ならない（テーマ期間の{period:.0%}に対応）")

    if values["capacity"] <= 0:
        weaknesses.append(
            f"受け入れ枠が埋まっている（{offer.active_matches}/{offer.capacity}件が進行中）"
        )
    elif offer.active_matches > 0:
        left = offer.capacity - offer.active_matches
        weaknesses.append(f"受け入れ枠の残りは{left}件（{offer.capacity}件中）")

    cues = commercial_cues(offer_text, lexicon)
    if values["commercial"] < 1:
        weaknesses.append("商品・サービスの売り込みの色が濃い: " + _join(list(cues)[:4]))

    if fairness_on and values["fairness"] > 0:
        weaknesses.append("提案の偏りを抑える調整: この団体への提案・協働がすでに多い")
    return tuple(reasons), tuple(weaknesses)
