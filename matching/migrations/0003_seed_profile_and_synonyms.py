from django.db import migrations


def seed(apps, schema_editor):
    from matching.engine import default_lexicon_data

    MatchingProfile = apps.get_model("matching", "MatchingProfile")
    SynonymGroup = apps.get_model("matching", "SynonymGroup")
    if not MatchingProfile.objects.exists():
        MatchingProfile.objects.create(name="標準", is_active=True)
    if not SynonymGroup.objects.exists():
        SynonymGroup.objects.bulk_create(
            SynonymGroup(terms="、".join(str(t) for t in group), note="初期辞書")
            for group in default_lexicon_data().get("synonyms") or []
        )


class Migration(migrations.Migration):
    dependencies = [("matching", "0002_suggestions_and_profiles")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
