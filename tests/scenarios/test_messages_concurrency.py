"""Two messages of one conversation at once serialise on its row lock (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from aftersales.models import Order
from config.errors import InvalidTransition
from scenarios.models import Conversation, ToolCall, Turn
from scenarios.services.conversations import conversation_open
from scenarios.services.flows import conversation_message

pytest_plugins = ["tests.scenarios.flow_fixtures"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_conversation_message__two_yes_at_once__one_turn_cancels_the_other_finds_it_ended(
    flow_marketplace, seeded_flows, keyword_identifier, regions
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    conversation = conversation_open(actor=None, region=regions["US"], channel="chat")
    for text in ("cancel my order", "ann.lee@example.com", "#W0000002", "ordered by mistake"):
        conversation_message(conversation=Conversation.objects.get(pk=conversation.pk), text=text)
    barrier, outcomes = threading.Barrier(2), []

    def say_yes():
        try:
            barrier.wait()
            conversation_message(conversation=Conversation.objects.get(pk=conversation.pk), text="yes")
            outcomes.append("done")
        except InvalidTransition as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=say_yes) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conversation_ended", "done"]
    assert ToolCall.objects.filter(conversation=conversation, name="cancel_pending_order").count() == 1
    assert Turn.objects.filter(conversation=conversation).count() == 5
    assert Order.objects.get(pk="#W0000002").status == "cancelled"
