"""Version 1 of 利用規約, プライバシーポリシー and 問い合わせ先 (legal/defaults.py): a city
edits them at /coord/legal/ before going live."""

from django.db import migrations


def install_defaults(apps, schema_editor):
    from legal import defaults

    defaults.install(apps.get_model("legal", "Document"))


class Migration(migrations.Migration):
    dependencies = [("legal", "0001_initial")]

    operations = [migrations.RunPython(install_defaults, migrations.RunPython.noop)]
