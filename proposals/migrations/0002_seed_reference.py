from django.db import migrations

from organizations.reference import FORMS, SUPPORTS


def seed(apps, schema_editor):
    CollaborationForm = apps.get_model("proposals", "CollaborationForm")
    Support = apps.get_model("proposals", "Support")
    for order, (code, name, description) in enumerate(FORMS, start=1):
        CollaborationForm.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "order": order}
        )
    for order, (code, name) in enumerate(SUPPORTS, start=1):
        Support.objects.update_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("proposals", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
