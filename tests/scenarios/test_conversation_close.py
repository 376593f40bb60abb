"""Ending and handing off a conversation: one guarded UPDATE and its event, sent together."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.errors import InvalidTransition
from scenarios.models import Conversation
from scenarios.services.conversations import conversation_end, conversation_hand_off, conversation_open


def _row(conversation):
    return Conversation.objects.values_list("status", "outcome", "handoff_queue", "handoff_summary").get(
        pk=conversation.pk
    )


def test_conversation_end__open__ended_with_its_event(regions):
    conversation = conversation_open(actor=None, region=regions["US"], channel="chat")

    ended = conversation_end(conversation=conversation, outcome="abandoned")

    assert (ended.status, ended.outcome) == ("ended", "abandoned")
    assert _row(conversation) == ("ended", "abandoned", "", "")
    assert list(conversation.events.order_by("pk").values_list("kind", "data")) == [
        ("opened", {"by": "runtime", "channel": "chat"}),
        ("ended", {"by": "runtime", "outcome": "abandoned"}),
    ]


def test_conversation_hand_off__already_ended__refused_and_nothing_written(regions):
    # given a conversation that has ended
    conversation = conversation_open(actor=None, region=regions["US"], channel="chat")
    conversation_end(conversation=Conversation.objects.get(pk=conversation.pk))

    # when a stale copy of it is handed off
    with pytest.raises(InvalidTransition) as refused, CaptureQueriesContext(connection) as queries:
        conversation_hand_off(conversation=conversation, queue="logistics", summary="Parcel lost.")

    # then refused, and neither the row nor the events changed
    assert refused.value.code == "conversation_ended"
    assert _row(conversation) == ("ended", "resolved", "", "")
    assert list(conversation.events.order_by("pk").values_list("kind", flat=True)) == ["opened", "ended"]
    # PostgreSQL: one statement text holding the UPDATE and the event's INSERT, rolled back together;
    # elsewhere the guarded UPDATE goes first and its miss stops the batch before the INSERT
    assert sum(q["sql"].startswith(("UPDATE", "INSERT")) for q in queries) == 1
