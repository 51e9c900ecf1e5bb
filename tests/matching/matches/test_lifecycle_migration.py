"""Issue 13: existing data under the new rules (migration 0011_lifecycle_rules): agreed
matches count as confirmed by every party, the history names the organization, consents
given with evaluations carry over, and cases public under the old rule stay public."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from outcomes_support import make_match

from matching.models import Evaluation, MatchParty, MatchTransition
from matching.outcomes import case_book

pytestmark = pytest.mark.django_db

migration = importlib.import_module("matching.migrations.0011_lifecycle_rules")


def test_existing_data_is_carried_over(people):
    from django.utils import timezone

    public = make_match(people, title="旧ルールで公開", state="evaluated")
    public.__class__.objects.filter(pk=public.pk).update(agreed_at=timezone.now())
    for org, user in (("department", "staff"), ("npo", "member")):
        Evaluation.objects.create(
            match=public, evaluator="party", organization=people[org], grade="A",
            publish_consent=True, submitted_by=people[user],
        )  # fmt: skip
    Evaluation.objects.create(
        match=public, evaluator="coordinator", grade="B", effects="地域の見守りが広がった",
        submitted_by=people["coordinator"],
    )  # fmt: skip
    MatchTransition.objects.create(
        match=public, name="respond", source="introduced", target="introduced",
        comment=people["npo"].name,
    )  # fmt: skip
    private = make_match(people, title="同意のない事例", state="evaluated")
    Evaluation.objects.create(match=private, evaluator="party", organization=people["npo"],
                              grade="A", publish_consent=True)  # fmt: skip
    Evaluation.objects.create(match=private, evaluator="coordinator", grade="B")

    migration.carry_over(apps, None)

    assert all(p.confirmed_at for p in MatchParty.objects.filter(match=public))
    assert not any(p.confirmed_at for p in MatchParty.objects.filter(match=private))
    row = MatchTransition.objects.get(match=public, name="respond")
    assert row.organization == people["npo"]
    assert list(case_book.case_book()) == [public]
    assert public.publication.text == "地域の見守りが広がった"
