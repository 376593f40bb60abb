"""Cheaper writes to the runtime's hot tables on PostgreSQL.

* Redundant indexes go. A turn's and a tool call's own index on ``conversation_id`` duplicates the
  leading column of their unique (conversation, index / seq) index. On the conversation, ``region_id``
  alone is covered by ``conversation_region_created``, and the ``_like`` (varchar_pattern_ops) twins
  that PostgreSQL got for ``status``, ``api_client_id``, ``customer_id`` and ``region_id`` serve only
  LIKE 'prefix%', which nothing runs on them. Status, API client and customer keep a plain index
  (the admin's status filter; the FK SET_NULL when an API client or a customer is deleted).
* The conversation table gets fillfactor 70, for HOT updates (see ``set_fillfactor``).

The fields' ``db_index=False`` is recorded in the state only: Django's AlterField would also drop and
re-add each foreign key constraint, re-validating every row of scenarios_toolcall and scenarios_turn
under an exclusive lock, for no change to the constraint. The database side drops just the indexes,
by the names migrations 0002/0003 gave them (the same on PostgreSQL and SQLite).
"""

import django.db.models.deletion
from django.db import migrations, models

# (table, index, column, has a varchar_pattern_ops "_like" twin on PostgreSQL)
IMPLICIT_INDEXES = [
    ("scenarios_conversation", "scenarios_conversation_api_client_id_b1aa9a7f", "api_client_id", True),
    ("scenarios_conversation", "scenarios_conversation_customer_id_ab0e48e6", "customer_id", True),
    ("scenarios_conversation", "scenarios_conversation_region_id_aeacdf30", "region_id", True),
    ("scenarios_conversation", "scenarios_conversation_status_999bb059", "status", True),
    ("scenarios_toolcall", "scenarios_toolcall_conversation_id_9fea6ed7", "conversation_id", False),
    ("scenarios_turn", "scenarios_turn_conversation_id_0fb4d782", "conversation_id", False),
]


def _implicit_indexes(schema_editor):
    """(index name, CREATE INDEX statement) of each implicit index this database has."""
    quote = schema_editor.quote_name
    postgres = schema_editor.connection.vendor == "postgresql"
    for table, name, column, like in IMPLICIT_INDEXES:
        yield name, f"CREATE INDEX {quote(name)} ON {quote(table)} ({quote(column)})"
        if like and postgres:
            like_name = f"{name}_like"
            yield (
                like_name,
                f"CREATE INDEX {quote(like_name)} ON {quote(table)} ({quote(column)} varchar_pattern_ops)",
            )


def drop_implicit_indexes(apps, schema_editor):
    for name, _create in _implicit_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_implicit_indexes(apps, schema_editor):
    for _name, create in _implicit_indexes(schema_editor):
        schema_editor.execute(create)


def set_fillfactor(apps, schema_editor):
    """A turn and every tool call UPDATE their conversation's row (state, counters, ``updated``). When
    the row's page has room for the new version and no indexed column changed, PostgreSQL writes a HOT
    update: the new version stays on the same page and no index is touched. At the default fillfactor
    100 the pages are full, and 44% of those UPDATEs (2000-turn benchmark) inserted into every index.
    70 leaves 30% of each page free. It applies to pages written from now on (existing full pages keep
    their rows until a rewrite such as VACUUM FULL); that is enough, as the rows updated are those of
    open conversations, i.e. new ones. PostgreSQL only: SQLite has no such setting."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE scenarios_conversation SET (fillfactor = 70)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE scenarios_conversation RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("aftersales", "0004_sops"),
        ("scenarios", "0006_turn_steps_json"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="conversation",
                    name="api_client",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="conversations",
                        to="aftersales.apiclient",
                    ),
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="conversations",
                        to="aftersales.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="region",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="conversations",
                        to="aftersales.region",
                    ),
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="status",
                    field=models.CharField(
                        choices=[("open", "open"), ("ended", "ended")], default="open", max_length=16
                    ),
                ),
                migrations.AlterField(
                    model_name="toolcall",
                    name="conversation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tool_calls",
                        to="scenarios.conversation",
                    ),
                ),
                migrations.AlterField(
                    model_name="turn",
                    name="conversation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="turns",
                        to="scenarios.conversation",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_implicit_indexes, create_implicit_indexes)],
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["status"], name="conversation_status"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["api_client"], name="conversation_api_client"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["customer"], name="conversation_customer"),
        ),
        migrations.RunPython(set_fillfactor, reset_fillfactor),
    ]
