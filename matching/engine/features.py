"""Feature records the engine scores: ``Need``, ``Offer`` and the ``AreaHierarchy``.

Plain frozen dataclasses: the Django adapter builds them from model instances; the evaluation
builds them from a dataset file. Collections are normalised to frozensets on construction, so
callers may pass lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from matching.engine.text import PostText

FIELD_LABELS: dict[str, str] = {
    "welfare": "保健・医療・福祉",
    "social_education": "社会教育",
    "community": "まちづくり",
    "tourism": "観光",
    "rural": "農山漁村・中山間地域",
    "culture_arts_sports": "学術・文化・芸術・スポーツ",
    "environment": "環境",
    "disaster": "災害救援",
    "community_safety": "地域安全",
    "human_rights_peace": "人権・平和",
    "international": "国際協力",
    "gender_equality": "男女共同参画",
    "children": "子どもの健全育成",
    "information_society": "情報化社会",
    "science_technology": "科学技術",
    "economy": "経済活動",
    "vocational": "職業能力・雇用",
    "consumer": "消費者保護",
    "npo_support": "団体の運営・活動の支援",
    "municipal_ordinance": "条例で定める活動",
}

FORM_LABELS: dict[str, str] = {
    "commission": "委託",
    "co_host": "共催",
    "cooperation": "事業協力",
    "executive_committee": "実行委員会",
    "designated_manager": "指定管理",
    "subsidy": "補助",
    "endorsement": "後援",
    "information_exchange": "情報交換・意見交換",
}

# Forms that commit neither side to joint work: an overlap only on these is a weak fit for a
# need that also asks for real work (委託, 共催, ...).
WEAK_FORMS: frozenset[str] = frozenset({"endorsement", "information_exchange"})

ORGANIZATION_KINDS: frozenset[str] = frozenset(
    {
        "npo_corporation",
        "citizen_group",
        "neighborhood_association",
        "community_council",
        "business",
        "university",
        "school",
        "city_department",
        "intermediary",
    }
)


def _fs(values: Iterable[str] | None) -> frozenset[str]:
    if values is None:
        return frozenset()
    if isinstance(values, str):  # a single code passed by mistake: not its characters
        return frozenset({values})
    return frozenset(str(v) for v in values)


@dataclass(frozen=True)
class _Post:
    id: str
    organization_id: str
    title: str
    description: str = ""
    fields: frozenset[str] = field(default_factory=frozenset)
    areas: frozenset[str] = field(default_factory=frozenset)
    forms: frozenset[str] = field(default_factory=frozenset)
    organization_kind: str = ""
    is_open: bool = True  # False for drafts, closed, withdrawn or archived posts
    expires_on: date | None = None  # the post stops being shown after this day
    text: PostText | None = None  # pre-analysed text (``analyze_post``); computed when None

    def __post_init__(self) -> None:
        for name in ("fields", "areas", "forms"):
            object.__setattr__(self, name, _fs(getattr(self, name)))
        object.__setattr__(self, "id", str(self.id))
        object.__setattr__(self, "organization_id", str(self.organization_id))
        object.__setattr__(self, "title", self.title or "")
        object.__setattr__(self, "description", self.description or "")


@dataclass(frozen=True)
class Need(_Post):
    """A collaboration theme (協働テーマ) looking for partners.

    ``starts_on``/``ends_on`` is the collaboration period (inclusive); either may be None.
    """

    starts_on: date | None = None
    ends_on: date | None = None

    def period(self) -> tuple[date | None, date | None]:
        return self.starts_on, self.ends_on

    def last_day(self) -> date | None:
        """After this day the need can no longer be matched."""
        ends = [d for d in (self.ends_on, self.expires_on) if d is not None]
        return min(ends) if ends else None


@dataclass(frozen=True)
class Offer(_Post):
    """What an organization can provide (できること／シーズ).

    ``capacity`` is how many collaborations it can run at once; ``active_matches`` how many it
    runs now (agreed or in progress). ``available_from``/``available_until`` is when it can take
    work on (inclusive); either may be None (open-ended).
    """

    available_from: date | None = None
    available_until: date | None = None
    capacity: int = 1
    active_matches: int = 0

    def period(self) -> tuple[date | None, date | None]:
        return self.available_from, self.available_until

    def last_day(self) -> date | None:
        ends = [d for d in (self.available_until, self.expires_on) if d is not None]
        return min(ends) if ends else None


class AreaHierarchy:
    """Areas as a tree: city (root) → ward 区 → district 地区 → 自治会.

    ``parents`` maps each area code to its parent code (None or the root for top-level areas).
    A post tagged with the root, or with every child of a node, covers that node: tags are
    *canonicalised* bottom-up, so {all wards} becomes {root} (= citywide). Unknown codes are
    treated as children of the root rather than rejected.
    """

    def __init__(
        self,
        parents: Mapping[str, str | None],
        names: Mapping[str, str] | None = None,
        root: str = "__city__",
        root_name: str = "市内全域",
    ) -> None:
        self.root = root
        self._parent: dict[str, str] = {}
        for code, parent in parents.items():
            if code == root:
                continue
            self._parent[str(code)] = str(parent) if parent not in (None, "") else root
        self._names = {str(k): str(v) for k, v in (names or {}).items()}
        self._names.setdefault(root, root_name)
        self._children: dict[str, set[str]] = {}
        for code, parent in self._parent.items():
            self._children.setdefault(parent, set()).add(code)
        self._canon_cache: dict[frozenset[str], frozenset[str]] = {}
        # The tree does not change after construction: each code's chain is walked once.
        self._ancestors: dict[str, tuple[str, ...]] = {}

    @classmethod
    def flat(
        cls, names: Mapping[str, str], root: str = "__city__", root_name: str = "市内全域"
    ) -> AreaHierarchy:
        """A city whose areas are all directly under the root (e.g. a list of wards)."""
        return cls({code: None for code in names}, names, root=root, root_name=root_name)

    def parent(self, code: str) -> str | None:
        if code == self.root:
            return None
        return self._parent.get(code, self.root)

    def children(self, code: str) -> frozenset[str]:
        return frozenset(self._children.get(code, ()))

    def ancestors(self, code: str) -> tuple[str, ...]:
        """Ancestors from the parent up to the root (excluding ``code``)."""
        hit = self._ancestors.get(code)
        if hit is None:
            out: list[str] = []
            cur = self.parent(code)
            while cur is not None and cur not in out:
                out.append(cur)
                cur = self.parent(cur)
            hit = self._ancestors[code] = tuple(out)
        return hit

    def top_level(self, code: str) -> str | None:
        """The ancestor-or-self just below the root (the ward), None for the root."""
        if code == self.root:
            return None
        chain = [code, *self.ancestors(code)]
        return chain[-2] if len(chain) >= 2 else code

    def name(self, code: str) -> str:
        return self._names.get(code, code)

    def canonical(self, codes: Iterable[str]) -> frozenset[str]:
        """Collapse complete sets of siblings into their parent; drop codes under another."""
        key = frozenset(codes)
        hit = self._canon_cache.get(key)
        if hit is not None:
            return hit
        tags = set(key)
        changed = True
        while changed:
            changed = False
            for parent, kids in self._children.items():
                if parent not in tags and kids and kids <= tags:
                    tags -= kids
                    tags.add(parent)
                    changed = True
        result = frozenset(t for t in tags if not any(a in tags for a in self.ancestors(t)))
        if len(self._canon_cache) < 100_000:
            self._canon_cache[key] = result
        return result

    def is_citywide(self, codes: Iterable[str]) -> bool:
        return self.root in self.canonical(codes)

    def covers(self, tags: frozenset[str], code: str) -> bool:
        """Does a canonical tag set cover ``code`` (contain it or an ancestor)?"""
        return code in tags or any(a in tags for a in self.ancestors(code))

    def touches(self, tags: frozenset[str], code: str) -> bool:
        """Does some tag lie in the subtree of ``code``?"""
        return any(t == code or code in self.ancestors(t) for t in tags)
