"""WriteBatch: the trailing writes of a unit of work in one round trip (PostgreSQL), exactly as the
ORM would write them."""

import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from config.batch import WriteBatch
from config.errors import InvalidTransition
from scenarios.models import Conversation, ConversationEvent


def _round_trips(statements: int) -> int:
    return 1 if connection.vendor == "postgresql" else statements


@pytest.fixture
def conversation(regions):
    return Conversation.objects.create(region=regions["US"], channel="chat")


def test_batch__inserts_and_an_update__written_in_one_round_trip_with_generated_keys(conversation):
    batch = WriteBatch()
    events = [
        ConversationEvent(
            conversation=conversation, kind="ended", data={"outcome": "resolved", "note": "50%"}
        ),
        ConversationEvent(conversation=conversation, kind="feedback", data={"csat": 5}),
    ]
    batch.insert(events)
    conversation.state = {"flow": {"step": "done"}}
    batch.update(conversation, ["state"])

    with CaptureQueriesContext(connection) as queries:
        batch.flush()

    assert len(queries) == _round_trips(2)
    stored = list(ConversationEvent.objects.filter(conversation=conversation).order_by("pk"))
    assert [(e.pk, e.kind, e.data) for e in stored] == [
        (events[0].pk, "ended", {"outcome": "resolved", "note": "50%"}),
        (events[1].pk, "feedback", {"csat": 5}),
    ]
    assert events[0].pk < events[1].pk and events[0]._state.adding is False
    assert stored[0].created == events[0].created  # auto_now_add set on the object, as by create()
    assert Conversation.objects.get(pk=conversation.pk).state == {"flow": {"step": "done"}}
    assert len(batch) == 0


def test_batch__update__writes_only_the_named_fields_and_refreshes_auto_now(conversation):
    before = conversation.updated
    conversation.state = {"x": 1}
    conversation.channel = "email"  # changed in memory, not named: not written
    batch = WriteBatch()
    batch.update(conversation, ["state", "updated"])

    batch.flush()

    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.state, stored.channel) == ({"x": 1}, "chat")
    assert stored.updated == conversation.updated and stored.updated > before


def test_batch__guarded_update_matches_no_row__raises_and_the_transaction_keeps_nothing(conversation):
    Conversation.objects.filter(pk=conversation.pk).update(status="ended")
    batch = WriteBatch()
    batch.insert([ConversationEvent(conversation=conversation, kind="ended", data={})])
    conversation.status = "ended"
    batch.update(
        conversation,
        ["status"],
        only_if={"status": "open"},
        or_raise=InvalidTransition("already ended", code="conversation_ended"),
    )

    with pytest.raises(InvalidTransition) as raised, transaction.atomic():
        batch.flush()

    assert raised.value.code == "conversation_ended"
    assert not ConversationEvent.objects.filter(conversation=conversation).exists()


def test_batch__guarded_update_matches__written(conversation):
    conversation.status, conversation.outcome = "ended", "resolved"
    batch = WriteBatch()
    batch.update(
        conversation, ["status", "outcome"], only_if={"status": "open"}, or_raise=InvalidTransition("ended")
    )

    batch.flush()

    assert Conversation.objects.values_list("status", "outcome").get(pk=conversation.pk) == (
        "ended",
        "resolved",
    )


def test_batch__insert_with_its_own_primary_key__kept_as_given(regions):
    given = uuid.uuid4()
    batch = WriteBatch()
    batch.insert([Conversation(pk=given, region=regions["US"], channel="chat")])

    batch.flush()

    assert list(Conversation.objects.values_list("pk", "status", "state")) == [(given, "open", {})]


def test_batch__nothing_collected__no_query(db):
    with CaptureQueriesContext(connection) as queries:
        WriteBatch().flush()

    assert len(queries) == 0


def test_batch__guard_without_its_error__refused(conversation):
    with pytest.raises(ValueError, match="only_if and or_raise go together"):
        WriteBatch().update(conversation, ["status"], only_if={"status": "open"})


def test_batch__guard_on_null__refused(conversation):
    with pytest.raises(ValueError, match="never matches NULL"):
        WriteBatch().update(
            conversation, ["status"], only_if={"customer": None}, or_raise=InvalidTransition("x")
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side binding is a psycopg option")
def test_batch__server_side_binding__statements_sent_one_by_one(conversation):
    options = connection.settings_dict["OPTIONS"]
    options["server_side_binding"] = True
    try:
        batch = WriteBatch()
        batch.insert([ConversationEvent(conversation=conversation, kind="ended", data={})])
        conversation.state = {"y": 2}
        batch.update(conversation, ["state"])
        with CaptureQueriesContext(connection) as queries:
            batch.flush()
    finally:
        del options["server_side_binding"]

    assert len(queries) == 2
    assert Conversation.objects.get(pk=conversation.pk).state == {"y": 2}
    assert ConversationEvent.objects.filter(conversation=conversation, kind="ended").count() == 1


def test_batch__insert_mixing_given_and_missing_keys__refused(conversation):
    events = [
        ConversationEvent(pk=10_000, conversation=conversation, kind="ended", data={}),
        ConversationEvent(conversation=conversation, kind="ended", data={}),
    ]

    with pytest.raises(ValueError, match="all have their primary key, or none"):
        WriteBatch().insert(events)


def test_batch__update_right_after_an_update_of_the_same_object__one_statement_under_the_guard(
    conversation,
):
    # given the state written, then the guarded ending of the same conversation
    batch = WriteBatch()
    conversation.state, conversation.turn_count = {"flow": {"step": "done"}}, 3
    batch.update(conversation, ["state", "turn_count"])
    conversation.status, conversation.outcome = "ended", "resolved"
    batch.update(
        conversation, ["status", "outcome"], only_if={"status": "open"}, or_raise=InvalidTransition("ended")
    )

    # then they are one UPDATE of the four fields
    assert len(batch) == 1
    with CaptureQueriesContext(connection) as queries:
        batch.flush()
    assert len(queries) == 1
    assert queries[0]["sql"].count("UPDATE") == 1
    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.state, stored.turn_count, stored.status, stored.outcome) == (
        {"flow": {"step": "done"}},
        3,
        "ended",
        "resolved",
    )


def test_batch__merged_update_whose_guard_misses__raises_and_writes_neither(conversation):
    Conversation.objects.filter(pk=conversation.pk).update(status="ended")
    batch = WriteBatch()
    conversation.state = {"flow": {"step": "done"}}
    batch.update(conversation, ["state"])
    conversation.status = "ended"
    batch.update(conversation, ["status"], only_if={"status": "open"}, or_raise=InvalidTransition("ended"))

    with pytest.raises(InvalidTransition), transaction.atomic():
        batch.flush()

    assert Conversation.objects.values_list("state", "status").get(pk=conversation.pk) == ({}, "ended")


def test_batch__updates_not_next_to_each_other_or_both_guarded__kept_apart(conversation):
    batch = WriteBatch()
    batch.update(conversation, ["state"])
    batch.insert([ConversationEvent(conversation=conversation, kind="ended", data={})])
    batch.update(conversation, ["status"], only_if={"status": "open"}, or_raise=InvalidTransition("a"))
    batch.update(conversation, ["outcome"], only_if={"outcome": ""}, or_raise=InvalidTransition("b"))

    assert len(batch) == 4
