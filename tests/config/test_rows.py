"""row_reader: a model instance from a row read with hand-written SQL, as the ORM would build it."""

import pytest
from django.db import connection

from config.rows import row_reader
from scenarios.models import Conversation
from scenarios.trace import conversation_where


@pytest.fixture
def conversation(regions):
    return Conversation.objects.create(
        region=regions["US"], channel="chat", state={"flow": {"slots": {"order_id": "#W1"}}}, turn_count=2
    )


def test_row_reader__columns__every_concrete_column_in_order(db):
    quote = connection.ops.quote_name
    names = [f.column for f in Conversation._meta.concrete_fields]

    assert row_reader(Conversation).columns() == ", ".join(quote(n) for n in names)
    assert row_reader(Conversation).columns("c") == ", ".join(f"{quote('c')}.{quote(n)}" for n in names)


def test_row_reader__instance__equal_to_the_orms(conversation):
    reader = row_reader(Conversation)
    table = connection.ops.quote_name(Conversation._meta.db_table)
    where, params = conversation_where(conversation.pk, None)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {reader.columns()}, 42 FROM {table} WHERE {where}", params)  # noqa: S608
        row = cursor.fetchone()

    read = reader.instance(row)  # the trailing 42 is the caller's
    orm = Conversation.objects.get(pk=conversation.pk)

    assert {n: getattr(read, n) for n in reader.names} == {n: getattr(orm, n) for n in reader.names}
    assert (read.state, read.turn_count, read._state.adding, read._state.db) == (
        {"flow": {"slots": {"order_id": "#W1"}}},
        2,
        False,
        "default",
    )
