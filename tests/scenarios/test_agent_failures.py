"""Every way an agent turn can fail hands the conversation to a person through the gateway, is
recorded, and raises nothing; a second message while a turn runs is refused, not interleaved."""

import time

import pytest

from aftersales.models import Order
from scenarios.engine.agent import HANDOFF_REPLY, MAX_STEPS_PER_TURN
from scenarios.models import Conversation, LLMCall, ModelConfiguration, ToolCall, Turn
from scenarios.services.agent import TURN_CLAIM_SECONDS
from tests.scenarios.agent_helpers import bad_arguments
from tests.scenarios.llm_server import answer, raw, stall, status, tool_call

pytest_plugins = ["tests.scenarios.agent_fixtures"]

TEXT = "Where is my order #W3?"
SUMMARY = "The agent stopped ({reason}). The customer wrote: " + TEXT
READ_W3 = tool_call("get_order_details", {"order_id": "#W3"})


@pytest.mark.parametrize(
    ("steps", "reason", "llm_outcomes", "reads"),
    [
        ([stall(0.6)], "llm_timeout", ["timeout"], 0),
        ([status(500)], "llm_server_error", ["server_error"], 0),
        ([status(429)], "llm_rate_limit", ["rate_limit"], 0),
        ([raw("<html>bad gateway</html>")], "llm_malformed_output", ["malformed_output"], 0),
        (
            [bad_arguments("get_order_details", "{order_id: #W3")],
            "llm_malformed_output",
            ["malformed_output"],
            0,
        ),
        (
            [tool_call("cancel_pending_order", {"order_id": "#W1", "reason": "no longer needed"})],
            "unknown_tool",
            ["ok"],
            0,
        ),
        ([tool_call("drop_database", {})], "unknown_tool", ["ok"], 0),
        ([READ_W3, READ_W3], "loop", ["ok", "ok"], 1),
        (
            [tool_call("calculate", {"expression": f"1 + {n}"}) for n in range(MAX_STEPS_PER_TURN)],
            "step_budget",
            ["ok"] * MAX_STEPS_PER_TURN,
            0,
        ),
    ],
    ids=[
        "stall",
        "500",
        "429",
        "not-a-completion",
        "arguments-not-json",
        "not-allowed",
        "unknown",
        "loop",
        "budget",
    ],
)
def test_agent_turn__failure__handed_off_recorded_no_exception(
    agent_chat, scripted_llm, steps, reason, llm_outcomes, reads
):
    scripted_llm.script(*steps)

    response = agent_chat(TEXT)

    summary = SUMMARY.format(reason=reason)
    assert response["reply"] == HANDOFF_REPLY
    assert (response["ended"], response["handoff"]) == (True, {"queue": "priority", "summary": summary})
    assert response["actions"][-1] == {
        "name": "transfer_to_human_agents",
        "arguments": {"summary": summary},
        "status": "executed",
    }
    conversation = Conversation.objects.get(pk=agent_chat.conversation_id)
    assert (conversation.status, conversation.outcome, conversation.handoff_queue) == (
        "ended",
        "handed_off",
        "priority",
    )
    assert "turn_claim" not in conversation.state
    assert [c.outcome for c in LLMCall.objects.filter(purpose="agent").order_by("pk")] == llm_outcomes
    handoff = Turn.objects.filter(conversation=conversation).order_by("index").last().steps[-1]
    assert (handoff["type"], handoff["detail"]["reason"], handoff["detail"]["transfer"]) == (
        "handoff",
        reason,
        "executed",
    )
    calls = ToolCall.objects.filter(conversation=conversation)
    assert calls.filter(name="get_order_details").count() == reads  # the repeated call never ran
    assert list(
        calls.exclude(name__in=["get_order_details", "calculate"]).values_list("name", flat=True)
    ) == ["transfer_to_human_agents"]
    assert Order.objects.get(pk="#W1").status == "pending"


def test_agent_turn__no_model_configured__handed_off(agent_chat, scripted_llm):
    ModelConfiguration.objects.all().delete()

    response = agent_chat(TEXT)

    assert (response["reply"], response["handoff"]["summary"]) == (
        HANDOFF_REPLY,
        SUMMARY.format(reason="llm_not_configured"),
    )
    assert scripted_llm.requests == []


def test_agent_turn__turn_time_budget_spent__handed_off_before_the_next_llm_call(
    agent_chat, scripted_llm, monkeypatch
):
    monkeypatch.setattr("scenarios.services.agent.TURN_SECONDS", -1.0)

    response = agent_chat(TEXT)

    assert response["handoff"]["summary"] == SUMMARY.format(reason="turn_timeout")
    assert scripted_llm.requests == []


def test_agent_turn__message_while_a_turn_is_claimed__409_turn_in_progress_nothing_changed(
    agent_chat, scripted_llm
):
    scripted_llm.script(answer("Hello!"))
    agent_chat("hi")
    conversation = Conversation.objects.get(pk=agent_chat.conversation_id)
    conversation.state["turn_claim"] = {"index": 2, "token": "other-worker", "at": time.time()}
    conversation.save(update_fields=["state"])

    refused = agent_chat("hello again?", status=409)

    assert (refused["code"], refused["details"]) == ("turn_in_progress", {"turn": 2})
    assert Turn.objects.filter(conversation=conversation).count() == 1
    assert Conversation.objects.get(pk=conversation.pk).state == conversation.state
    assert len(scripted_llm.requests) == 1


def test_agent_turn__abandoned_claim__taken_over(agent_chat, scripted_llm):
    scripted_llm.script(answer("Hello!"), answer("Still here."))
    agent_chat("hi")
    conversation = Conversation.objects.get(pk=agent_chat.conversation_id)
    stale = time.time() - TURN_CLAIM_SECONDS - 1
    conversation.state["turn_claim"] = {"index": 2, "token": "crashed-worker", "at": stale}
    conversation.save(update_fields=["state"])

    response = agent_chat("are you there?")

    assert response["reply"] == "Still here."
    assert "turn_claim" not in Conversation.objects.get(pk=conversation.pk).state
    assert list(Turn.objects.filter(conversation=conversation).values_list("index", flat=True)) == [1, 2]


def test_agent_turn__unexpected_error_in_the_run__500_claim_released_nothing_recorded(
    agent_chat, monkeypatch
):
    def broken(**_):
        raise RuntimeError("bug")

    monkeypatch.setattr("scenarios.services.flows.agent_turn_run", broken)

    response = agent_chat(TEXT, status=500)

    assert response["code"] == "internal_error"
    conversation = Conversation.objects.get(pk=agent_chat.conversation_id)
    assert ("turn_claim" in conversation.state, conversation.status) == (False, "open")
    assert Turn.objects.filter(conversation=conversation).count() == 0
