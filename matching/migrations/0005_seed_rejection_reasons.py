from django.db import migrations

REASONS = [
    ("substance", "活動の内容が合わない"),
    ("area", "活動地域が合わない"),
    ("timing", "時期・期間が合わない"),
    ("form", "協働の形態が合わない"),
    ("capacity", "団体の体制・受け入れ余力が足りない"),
    ("already_matched", "すでに別の相手と進めている"),
    ("commercial", "営利目的の売り込みにあたる"),
    ("duplicate", "重複した提案"),
    ("other", "その他"),
]


def seed(apps, schema_editor):
    RejectionReason = apps.get_model("matching", "RejectionReason")
    for order, (code, label) in enumerate(REASONS, start=1):
        RejectionReason.objects.get_or_create(code=code, defaults={"label": label, "order": order})


class Migration(migrations.Migration):
    dependencies = [("matching", "0004_coordination_workflow")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
