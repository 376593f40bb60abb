"""The agent loop on its own (no database, no server): what it sends the model and keeps."""

from types import SimpleNamespace

from scenarios.engine.agent import MAX_MESSAGES, AgentEnvironment, ModelStep, run_agent_turn
from scenarios.engine.runner import ToolOutcome

READ = SimpleNamespace(name="get_order_details", kind="read", description="Get an order.", parameters={})


def _env(sent: list, steps: list[ModelStep]) -> AgentEnvironment:
    def complete(messages, tools):
        sent.append(messages)
        return steps.pop(0)

    return AgentEnvironment(
        complete=complete,
        call_tool=lambda name, arguments, **_: ToolOutcome("executed", {"status": "delivered"}),
        confirm=lambda text: None,
        tools={READ.name: READ},
    )


def test_run_agent_turn__long_history__trimmed_to_start_at_a_customer_message():
    history = []
    for n in range(MAX_MESSAGES):
        history += [
            {"role": "user", "content": f"question {n}"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": f"c{n}"}]},
            {"role": "tool", "tool_call_id": f"c{n}", "content": "{}"},
            {"role": "assistant", "content": f"answer {n}"},
        ]
    sent = []

    outcome = run_agent_turn({"messages": history}, "and now?", _env(sent, [ModelStep("ok", reply="Now.")]))

    (messages,) = sent
    assert [m["role"] for m in messages[:2]] == ["system", "user"]
    assert len(messages) - 1 <= MAX_MESSAGES
    assert messages[-1] == {"role": "user", "content": "and now?"}
    assert outcome.state["messages"][-1] == {"role": "assistant", "content": "Now."}


def test_run_agent_turn__tool_then_reply__the_call_and_its_result_precede_the_reply():
    sent = []
    steps = [
        ModelStep("ok", tool=READ.name, arguments={"order_id": "#W3"}, llm_call=1),
        ModelStep("ok", reply="Delivered.", llm_call=2),
    ]

    outcome = run_agent_turn(None, "where is #W3?", _env(sent, steps))

    assert sent[1][2:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": READ.name, "arguments": '{"order_id": "#W3"}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": '{"status": "executed", "result": {"status": "delivered"}}',
        },
    ]
    assert (outcome.reply, outcome.ended, [s.type for s in outcome.steps]) == (
        "Delivered.",
        False,
        ["tool", "reply"],
    )
    assert (outcome.state["step"], outcome.state["waiting"], outcome.state["pending"]) == (
        "agent",
        True,
        None,
    )
