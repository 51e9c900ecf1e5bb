from django.db import migrations

from organizations.reference import FIELDS, RESOURCE_KINDS


def seed(apps, schema_editor):
    Field = apps.get_model("organizations", "Field")
    ResourceKind = apps.get_model("organizations", "ResourceKind")
    for order, (code, name, short_name) in enumerate(FIELDS, start=1):
        Field.objects.update_or_create(
            code=code, defaults={"name": name, "short_name": short_name, "order": order}
        )
    for order, (code, name) in enumerate(RESOURCE_KINDS, start=1):
        ResourceKind.objects.update_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
