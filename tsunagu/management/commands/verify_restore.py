"""``manage.py verify_restore``: check a database restored from a backup before use.

Run it against the restored database (``DATABASE_URL=… manage.py verify_restore``). It
fails (exit status 1) when a migration is missing, when the database holds no users or
organizations, or when an id sequence is behind the stored ids (new rows would collide:
the mark of a data-only or partial restore). It prints the row count of every table, to
compare with the source (docs/deployment.md, バックアップと復元).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, models
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = (
        "復元したデータベースを確認します（マイグレーション、各テーブルの件数、ID の連番）。"
        " (Check a restored database: migrations, row counts, id sequences.)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, database: str, **options: Any) -> None:
        connection = connections[database]
        problems: list[str] = []

        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
            problems.append(f"{len(plan)} migration(s) not applied: {names}")

        quote = connection.ops.quote_name
        tables = sorted(connection.introspection.django_table_names(only_existing=True))
        counts: dict[str, int] = {}
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
                counts[table] = cursor.fetchone()[0]
            if connection.vendor == "postgresql":
                problems += _sequences_behind(cursor, quote)

        for table in tables:
            self.stdout.write(f"{table}\t{counts[table]}")
        # Through the ORM, as the app will read it.
        user_model = apps.get_model("organizations", "User")
        organization_model = apps.get_model("organizations", "Organization")
        users = user_model.objects.using(database).count()
        organizations = organization_model.objects.using(database).count()
        if not users or not organizations:
            problems.append("no users or no organizations: is this the right database?")
        self.stdout.write(
            f"tables: {len(tables)}, rows: {sum(counts.values())}, "
            f"users: {users}, organizations: {organizations}"
        )
        if problems:
            raise CommandError("restore check failed:\n- " + "\n- ".join(problems))
        self.stdout.write(self.style.SUCCESS("復元の確認: OK (restore check passed)"))


def _sequences_behind(cursor: Any, quote: Any) -> list[str]:
    """Tables whose id sequence would hand out an id that is already stored."""
    problems = []
    for model in apps.get_models():
        pk = model._meta.pk
        if not isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
            continue
        table, column = model._meta.db_table, pk.column
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [quote(table), column])
        sequence = cursor.fetchone()[0]
        if not sequence:
            continue
        cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")
        highest = cursor.fetchone()[0]
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
        last_value, is_called = cursor.fetchone()
        next_id = last_value + 1 if is_called else last_value
        if highest is not None and next_id <= highest:
            problems.append(f"{table}: next id {next_id} <= stored id {highest}")
    return problems
