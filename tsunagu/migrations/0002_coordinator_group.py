"""The 「コーディネーター」 group with the admin permissions coordinators need, and every
existing coordinator put in it (and let into the admin). From now on tsunagu/roles.py keeps
the group in step with User.is_coordinator; the list below is frozen as of this migration
(roles.on_post_migrate refreshes it from roles.COORDINATOR_PERMISSIONS after each migrate).
"""

from django.db import migrations
from django.db.models import Q

GROUP = "コーディネーター"
PERMISSIONS = [
    ("organizations", "organization", ("add", "change", "view")),
    ("organizations", "membership", ("add", "change", "view", "delete")),
    ("organizations", "area", ("add", "change", "view")),
    ("organizations", "user", ("view",)),
    ("organizations", "field", ("view",)),
    ("organizations", "resourcekind", ("view",)),
    ("proposals", "need", ("add", "change", "view")),
    ("proposals", "offer", ("add", "change", "view")),
    ("proposals", "collaborationform", ("view",)),
    ("proposals", "support", ("view",)),
    ("matching", "synonymgroup", ("add", "change", "view", "delete")),
]
VIEW_APPS = ("matching",)


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations (post_migrate): make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("organizations", "User")
    wanted = Q(pk__in=[])
    for app_label, model, actions in PERMISSIONS:
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    for app_label in VIEW_APPS:
        wanted |= Q(content_type__app_label=app_label, codename__startswith="view_")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(Permission.objects.filter(wanted))
    for user in User.objects.filter(is_coordinator=True):
        user.groups.add(group)
    User.objects.filter(is_coordinator=True).update(is_staff=True)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tsunagu", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("organizations", "0003_organization_unverified_by_default"),
        ("proposals", "0002_seed_reference"),
        ("matching", "0007_match_labels"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
