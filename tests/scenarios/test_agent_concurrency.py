"""An agent turn holds no row lock while its LLM thinks, and a second message meanwhile is refused
with ``turn_in_progress`` instead of interleaving (PostgreSQL: real row locks, real threads)."""

import threading
import time

import pytest
from django.db import connection, transaction

from config.errors import Conflict
from scenarios.models import Conversation, Turn
from scenarios.services.flows import conversation_message
from tests.scenarios.agent_helpers import ANN
from tests.scenarios.llm_server import stall

pytest_plugins = ["tests.scenarios.agent_fixtures"]


def _wait_for(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_agent_turn__second_message_while_the_llm_thinks__row_unlocked_and_409_turn_in_progress(
    agent_version, llm_configuration, scripted_llm, open_conversation
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    llm_configuration.timeout_seconds, llm_configuration.max_attempts = 5.0, 1
    llm_configuration.save(update_fields=["timeout_seconds", "max_attempts"])
    conversation = open_conversation(ANN)
    scripted_llm.script(stall(1.0))  # answers {"stalled": true} after a second
    replies = []

    def first():
        try:
            replies.append(
                conversation_message(conversation=Conversation.objects.get(pk=conversation.pk), text="hi")
            )
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    _wait_for(lambda: len(scripted_llm.requests) == 1)

    with transaction.atomic():  # raises if the turn held the row across its LLM call
        Conversation.objects.select_for_update(nowait=True).get(pk=conversation.pk)
    with pytest.raises(Conflict) as refused:
        conversation_message(conversation=Conversation.objects.get(pk=conversation.pk), text="hello?")
    thread.join()

    assert (refused.value.code, refused.value.details) == ("turn_in_progress", {"turn": 1})
    assert [r.reply for r in replies] == ['{"stalled": true}']
    assert list(Turn.objects.filter(conversation=conversation).values_list("index", "customer_text")) == [
        (1, "hi")
    ]
    assert "turn_claim" not in Conversation.objects.get(pk=conversation.pk).state
