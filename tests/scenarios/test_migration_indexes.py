"""Migration 0007: the hot tables lose their redundant indexes and the conversation table gets room for
HOT updates (fillfactor 70 on PostgreSQL)."""

import pytest
from django.db import connection, transaction

BEFORE = [("scenarios", "0006_turn_steps_json")]
AFTER = [("scenarios", "0007_conversation_indexes_fillfactor")]
TABLES = ("scenarios_conversation", "scenarios_toolcall", "scenarios_turn")

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_indexes, varchar_pattern_ops twins, fillfactor and HOT updates exist on PostgreSQL only",
)


def _index(table, name, columns, unique=False, where=""):
    kind = "UNIQUE INDEX" if unique else "INDEX"
    return (table, name, f"CREATE {kind} {name} ON public.{table} USING btree ({columns}){where}")


COMMON_INDEXES = {
    _index("scenarios_conversation", "conversation_region_created", "region_id, created DESC"),
    _index("scenarios_conversation", "scenarios_conversation_created_f2117c96", "created"),
    _index("scenarios_conversation", "scenarios_conversation_pkey", "id", unique=True),
    _index(
        "scenarios_conversation", "scenarios_conversation_scenario_version_id_92894d97", "scenario_version_id"
    ),
    _index("scenarios_toolcall", "scenarios_toolcall_pkey", "id", unique=True),
    _index(
        "scenarios_toolcall",
        "toolcall_client_idempotency_key",
        "key_scope, idempotency_key",
        unique=True,
        where=" WHERE (idempotency_key IS NOT NULL)",
    ),
    _index("scenarios_toolcall", "toolcall_conversation_seq", "conversation_id, seq", unique=True),
    _index("scenarios_turn", "scenarios_turn_pkey", "id", unique=True),
    _index("scenarios_turn", "scenarios_turn_scenario_version_id_cc3ed62d", "scenario_version_id"),
    _index("scenarios_turn", "turn_unique_index", "conversation_id, index", unique=True),
}
INDEXES_0007 = COMMON_INDEXES | {
    _index("scenarios_conversation", "conversation_api_client", "api_client_id"),
    _index("scenarios_conversation", "conversation_customer", "customer_id"),
    _index("scenarios_conversation", "conversation_status", "status"),
}
# Before: each of these four columns had its implicit index and, on PostgreSQL, its "_like" twin.
INDEXES_0006 = (
    COMMON_INDEXES
    | {
        _index(
            "scenarios_conversation", f"scenarios_conversation_{column}_{digest}{suffix}", column + opclass
        )
        for column, digest in [
            ("api_client_id", "b1aa9a7f"),
            ("customer_id", "ab0e48e6"),
            ("region_id", "aeacdf30"),
            ("status", "999bb059"),
        ]
        for suffix, opclass in [("", ""), ("_like", " varchar_pattern_ops")]
    }
    | {
        _index("scenarios_toolcall", "scenarios_toolcall_conversation_id_9fea6ed7", "conversation_id"),
        _index("scenarios_turn", "scenarios_turn_conversation_id_0fb4d782", "conversation_id"),
    }
)


def _indexes() -> set[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [list(TABLES)]
        )
        return set(cursor.fetchall())


def _reloptions(table: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def _conversation_on_a_full_first_page(Conversation) -> str:
    """The id of the first row of a conversation table whose first page is as full as its fillfactor
    lets inserts make it. The table is emptied first: rolled-back rows of other tests would leave dead
    tuples whose pruning frees space. All rows have the same size, so a new version of the first one
    fits on its page exactly when the fillfactor left room."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE scenarios_conversation CASCADE")
    Conversation.objects.bulk_create(
        [Conversation(region_id="US", channel="chat", state={"n": 0}) for _ in range(200)]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE (ctid::text::point)[0] = 0), "
            "count(*) FILTER (WHERE (ctid::text::point)[0] > 0) FROM scenarios_conversation"
        )
        on_first, on_later = cursor.fetchone()
        assert (on_first > 0, on_later > 0) == (True, True)  # the first page filled up
        cursor.execute("SELECT id FROM scenarios_conversation WHERE ctid = '(0,1)'::tid")
        return cursor.fetchone()[0]


def _state_updates(Conversation, pk, count: int) -> tuple[int, int]:
    """(updates, HOT updates) of the conversation table made by ``count`` state saves, read from the
    transaction's own counters (pg_stat_xact_*), which need no flush to the shared statistics."""

    def counters():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
                ["scenarios_conversation"],
            )
            return cursor.fetchone()

    conversation = Conversation.objects.get(pk=pk)
    with transaction.atomic():
        updates_before, hot_before = counters()
        for n in range(1, count + 1):
            conversation.state = {"n": n}  # same size as {"n": 0}
            conversation.save(update_fields=["state", "updated"])
        updates_after, hot_after = counters()
    return updates_after - updates_before, hot_after - hot_before


@postgres_only
@pytest.mark.django_db
def test_migration_0007__migrated__hot_tables_have_only_the_needed_indexes():
    assert _indexes() == INDEXES_0007


@postgres_only
@pytest.mark.django_db
def test_migration_0007__migrated__conversation_table_has_fillfactor_70():
    assert _reloptions("scenarios_conversation") == ["fillfactor=70"]
    assert (_reloptions("scenarios_toolcall"), _reloptions("scenarios_turn")) == (None, None)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_migration_0007__state_saves_on_a_full_page__are_hot_updates(regions):
    from scenarios.models import Conversation

    pk = _conversation_on_a_full_first_page(Conversation)

    assert _state_updates(Conversation, pk, 3) == (3, 3)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_migration_0007__reversed_then_reapplied__indexes_and_fillfactor_follow(migrate, regions):
    apps = migrate(BEFORE)

    assert _indexes() == INDEXES_0006
    assert _reloptions("scenarios_conversation") is None
    # At the default fillfactor the full first page has no room: the new version goes to another
    # page, which is not a HOT update (and touches every index).
    Conversation0006 = apps.get_model("scenarios", "Conversation")
    assert _state_updates(Conversation0006, _conversation_on_a_full_first_page(Conversation0006), 1) == (1, 0)

    apps = migrate(AFTER)

    assert _indexes() == INDEXES_0007
    assert _reloptions("scenarios_conversation") == ["fillfactor=70"]
    Conversation0007 = apps.get_model("scenarios", "Conversation")
    assert _state_updates(Conversation0007, _conversation_on_a_full_first_page(Conversation0007), 1) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_migration_0007__reversed_then_reapplied__any_database__plain_indexes_follow(migrate):
    def plain_indexes():
        with connection.cursor() as cursor:
            return {
                (table, name)
                for table in TABLES
                for name, c in connection.introspection.get_constraints(cursor, table).items()
                if c["index"] and not c["unique"] and not c["primary_key"]
            }

    after = {(table, name) for table, name, definition in INDEXES_0007 if "UNIQUE" not in definition}
    before = {
        (table, name)
        for table, name, definition in INDEXES_0006
        if "UNIQUE" not in definition and (connection.vendor == "postgresql" or "_like" not in name)
    }
    assert plain_indexes() == after

    migrate(BEFORE)
    assert plain_indexes() == before

    migrate(AFTER)
    assert plain_indexes() == after
