"""Load collaboration-matching datasets (e.g. ``tests/data/dev.json``) into the database.

The schema is described in ``docs/dataset-format.md``. Loading is:

1. **validated first**, whole file, before anything is written: the first problem raises
   :class:`DatasetError` naming the place in the file (``offers[3].available_from``);
2. **idempotent**: organizations, needs and offers get ``source="dataset:<city>"`` and
   ``external_id=<id in the file>``; a second load of the same file creates nothing and
   reports every row as unchanged. Judgments are synchronised per (need, offer);
3. **atomic**: the whole load is one transaction.

Areas: the dataset's city becomes a city-level root :class:`~organizations.models.Area`
(code ``ds-<hash of the city name>``) and each listed ward or district a child of it
(code ``ds-<hash>-<code in the file>``), so codes of different cities never collide.

Citywide posts: the schema says "listing every area code means citywide". We store the
listing **as given** (the listed wards), not the city root. Since the root's only children
are exactly those wards, "every child of the root" and "the root" mean the same thing to
anything that walks the hierarchy; keeping the file's listing makes reloading exact.

The mapping from file ids to database ids is :func:`dataset_ids` (or ``report.ids``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from lib.errors import Invalid
from matching.models import RelevanceJudgment
from matching.scoring.dataset_schema import (
    AREA_CODE_MAX,
    SLUG,
    DatasetError,
    read_dataset,
    shown,
    validate_dataset,
)
from organizations.models import Area, Field, Organization
from proposals.models import CollaborationForm, Need, Offer, Status
from proposals.services import save_post

# --- Identifiers ------------------------------------------------------------------------


def dataset_source(city: str) -> str:
    """The ``source`` value given to everything loaded from the dataset of ``city``."""
    return f"dataset:{city}"


def city_area_code(city: str) -> str:
    """Code of the city's root area: ``ds-`` + a short stable hash of the city name."""
    return "ds-" + hashlib.sha1(city.encode("utf-8")).hexdigest()[:8]


def area_code(city: str, code: str) -> str:
    """Namespaced database code of an area code of the file (unique across cities)."""
    prefix = city_area_code(city) + "-"
    if SLUG.match(code) and len(prefix) + len(code) <= AREA_CODE_MAX:
        return prefix + code
    # Codes that are not slugs (or too long) are hashed so that the code stays a slug.
    return prefix + "x" + hashlib.sha1(code.encode("utf-8")).hexdigest()[:12]


# --- Reports ----------------------------------------------------------------------------


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class DatasetIds:
    """File ids → database primary keys, for one dataset (one city)."""

    city: str
    source: str
    city_area: int | None = None
    areas: dict[str, int] = field(default_factory=dict)
    organizations: dict[str, int] = field(default_factory=dict)
    needs: dict[str, int] = field(default_factory=dict)
    offers: dict[str, int] = field(default_factory=dict)

    @property
    def need_ids(self) -> dict[int, str]:
        """Database id → file id, for needs."""
        return {pk: key for key, pk in self.needs.items()}

    @property
    def offer_ids(self) -> dict[int, str]:
        """Database id → file id, for offers."""
        return {pk: key for key, pk in self.offers.items()}


KINDS: list[tuple[str, Any, str]] = [
    ("areas", gettext_lazy("地域"), "areas"),
    ("organizations", gettext_lazy("団体"), "organizations"),
    ("needs", gettext_lazy("ニーズ"), "needs"),
    ("offers", gettext_lazy("シーズ"), "offers"),
    ("judgments", gettext_lazy("関連度の判定"), "judgments"),
]


@dataclass
class LoadReport:
    city: str
    as_of: dt.date
    source: str
    counts: dict[str, KindCounts]
    ids: DatasetIds

    @property
    def created(self) -> int:
        return sum(c.created for c in self.counts.values())

    @property
    def changed(self) -> int:
        return sum(c.created + c.updated + c.deleted for c in self.counts.values())

    def summary_lines(self) -> list[str]:
        """Japanese first, English in parentheses: one line per kind of record."""
        lines = [
            _("データセット「%(city)s」（%(as_of)s 時点）を読み込みました")
            % {"city": self.city, "as_of": self.as_of.isoformat()}
            + f" (loaded dataset {self.city}, as of {self.as_of.isoformat()}; "
            f"source {self.source})"
        ]
        for key, label_ja, label_en in KINDS:
            c = self.counts[key]
            ja = _("作成 %(created)d・更新 %(updated)d・変更なし %(unchanged)d") % {
                "created": c.created,
                "updated": c.updated,
                "unchanged": c.unchanged,
            }
            en = f"created {c.created}, updated {c.updated}, unchanged {c.unchanged}"
            if c.deleted:
                ja += _("・削除 %(deleted)d") % {"deleted": c.deleted}
                en += f", deleted {c.deleted}"
            lines.append(f"  {label_ja} ({label_en}): {ja} ({en})")
        return lines


# --- Validation -------------------------------------------------------------------------


# --- Loading ----------------------------------------------------------------------------


def _area_level(name: str) -> str:
    return Area.Level.DISTRICT if name.endswith("地区") else Area.Level.WARD


def _sync(
    model: type,
    lookup: dict[str, Any],
    values: dict[str, Any],
    relations: dict[str, set[int]] | None = None,
    *,
    save: Any = None,
) -> tuple[Any, str]:
    """Create or update one row so it has ``values`` (and m2m ``relations``).

    Returns ``(obj, outcome)`` with outcome ``created`` / ``updated`` / ``unchanged``.
    Unchanged rows are not saved (``updated_at`` and re-scoring hooks stay untouched).
    ``save(obj, values, relations)`` replaces the default full_clean + save + set.
    """
    relations = relations or {}
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj, outcome = model(**lookup), "created"
    else:
        same = all(getattr(obj, name) == value for name, value in values.items()) and all(
            set(getattr(obj, name).values_list("pk", flat=True)) == pks
            for name, pks in relations.items()
        )
        if same:
            return obj, "unchanged"
        outcome = "updated"
    if save is not None:
        obj = save(obj, dict(values), relations)
    else:
        for name, value in values.items():
            setattr(obj, name, value)
        obj.full_clean(exclude=[*relations, "resources"])
        obj.save()
        for name, pks in relations.items():
            getattr(obj, name).set(pks)
    return obj, outcome


def _save_post(obj: Need | Offer, values: dict[str, Any], relations: dict[str, set[int]]):
    try:
        return save_post(obj, {**values, **{name: list(pks) for name, pks in relations.items()}})
    except Invalid as exc:  # refused by the post rules, e.g. an archived post set open again
        where = f"{'needs' if isinstance(obj, Need) else 'offers'}[id={shown(obj.external_id)}]"
        texts = [m for messages in exc.field_errors().values() for m in messages]
        with override("en"):
            english = " ".join(map(str, texts))
        raise DatasetError(where, " ".join(map(str, texts)), english) from exc


def load_dataset(data_or_path: dict[str, Any] | str | Path) -> LoadReport:
    """Validate, then load a dataset in one transaction. Returns counts and the id mapping.

    Raises :class:`DatasetError` (nothing written) if the file does not follow the schema.
    """
    data = data_or_path if isinstance(data_or_path, dict) else read_dataset(data_or_path)
    validate_dataset(data)
    city: str = data["city"]
    source = dataset_source(city)
    counts = {key: KindCounts() for key, _ja, _en in KINDS}
    ids = DatasetIds(city=city, source=source)

    field_pk = dict(Field.objects.values_list("code", "pk"))
    form_pk = dict(CollaborationForm.objects.values_list("code", "pk"))

    try:
        with transaction.atomic():
            root, outcome = _sync(
                Area,
                {"code": city_area_code(city)},
                {"name": city, "level": Area.Level.CITY, "parent": None, "order": 0},
            )
            counts["areas"].add(outcome)
            ids.city_area = root.pk
            for order, item in enumerate(data["areas"], start=1):
                area, outcome = _sync(
                    Area,
                    {"code": area_code(city, item["code"])},
                    {
                        "name": item["name"],
                        "level": _area_level(item["name"]),
                        "parent": root,
                        "order": order,
                    },
                )
                counts["areas"].add(outcome)
                ids.areas[item["code"]] = area.pk

            def area_pks(codes: list[str]) -> set[int]:
                return {ids.areas[code] for code in codes}

            orgs: dict[str, Organization] = {}
            for item in data["organizations"]:
                org, outcome = _sync(
                    Organization,
                    {"source": source, "external_id": item["id"]},
                    {
                        "name": item["name"],
                        "kind": item["kind"],
                        "description": item["description"],
                        "is_active": True,
                        "is_verified": True,
                    },
                    {
                        "fields": {field_pk[c] for c in item["fields"]},
                        "areas": area_pks(item["areas"]),
                    },
                )
                counts["organizations"].add(outcome)
                ids.organizations[item["id"]] = org.pk
                orgs[item["id"]] = org

            for key, model, start, end in (
                ("needs", Need, "starts_on", "ends_on"),
                ("offers", Offer, "available_from", "available_until"),
            ):
                for item in data[key]:
                    org = orgs[item["organization"]]
                    values: dict[str, Any] = {
                        "organization": org,
                        "title": item["title"],
                        "description": item["description"],
                        "starts_on": dt.date.fromisoformat(item[start]),
                        "ends_on": dt.date.fromisoformat(item[end]),
                        # Open even when expired as of ``as_of``: the engine decides by dates.
                        "status": Status.OPEN,
                    }
                    if model is Need:
                        values["kind"] = Need.default_kind_for(org)
                    else:
                        values["capacity"] = item["capacity"]
                    post, outcome = _sync(
                        model,
                        {"source": source, "external_id": item["id"]},
                        values,
                        {
                            "fields": {field_pk[c] for c in item["fields"]},
                            "areas": area_pks(item["areas"]),
                            "forms": {form_pk[c] for c in item["forms"]},
                        },
                        save=_save_post,
                    )
                    counts[key].add(outcome)
                    getattr(ids, key)[item["id"]] = post.pk

            _load_judgments(data["judgments"], ids, source, counts["judgments"])
    except ValidationError as exc:  # a safety net: validation above should catch it all
        raise DatasetError(
            "", _("データベースに保存できません: %(error)s") % {"error": exc}, "cannot save"
        ) from exc

    return LoadReport(
        city=city,
        as_of=dt.date.fromisoformat(data["as_of"]),
        source=source,
        counts=counts,
        ids=ids,
    )


def _load_judgments(
    judgments: dict[str, dict[str, int]], ids: DatasetIds, source: str, counts: KindCounts
) -> None:
    wanted = {
        (ids.needs[need_id], ids.offers[offer_id]): grade
        for need_id, grades in judgments.items()
        for offer_id, grade in grades.items()
    }
    existing = {
        (j.need_id, j.offer_id): j
        for j in RelevanceJudgment.objects.filter(need_id__in=ids.needs.values())
    }
    stale = [j.pk for pair, j in existing.items() if pair not in wanted]
    if stale:
        counts.deleted = RelevanceJudgment.objects.filter(pk__in=stale).delete()[0]
    for (need_pk, offer_pk), grade in wanted.items():
        judgment = existing.get((need_pk, offer_pk))
        if judgment is None:
            RelevanceJudgment.objects.create(
                need_id=need_pk, offer_id=offer_pk, grade=grade, source=source
            )
            counts.add("created")
        elif judgment.grade != grade or judgment.source != source:
            judgment.grade, judgment.source = grade, source
            judgment.save(update_fields=["grade", "source"])
            counts.add("updated")
        else:
            counts.add("unchanged")


def dataset_ids(dataset: dict[str, Any] | str) -> DatasetIds:
    """File ids → database ids of a dataset as currently loaded.

    ``dataset`` is the parsed file (exact area codes) or just the city name (area codes are
    then recovered from the namespaced database codes, which fails only for hashed codes).
    """
    city = dataset if isinstance(dataset, str) else dataset["city"]
    source = dataset_source(city)
    root_code = city_area_code(city)
    ids = DatasetIds(city=city, source=source)
    root = Area.objects.filter(code=root_code).first()
    if root is not None:
        ids.city_area = root.pk
        by_code = dict(Area.objects.filter(parent=root).values_list("code", "pk"))
        if isinstance(dataset, str):
            prefix = root_code + "-"
            ids.areas = {code.removeprefix(prefix): pk for code, pk in by_code.items()}
        else:
            ids.areas = {
                item["code"]: by_code[area_code(city, item["code"])]
                for item in dataset["areas"]
                if area_code(city, item["code"]) in by_code
            }
    for name, model in (("organizations", Organization), ("needs", Need), ("offers", Offer)):
        setattr(
            ids,
            name,
            dict(model.objects.filter(source=source).values_list("external_id", "pk")),
        )
    return ids
