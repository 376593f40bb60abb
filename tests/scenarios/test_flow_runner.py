"""The turn runner on its own: a recording gateway and the real slot extractors, no database."""

import copy

from scenarios.engine.runner import MAX_STEPS_PER_TURN, FlowEnvironment, LazyParams, ToolOutcome, run_turn


class Gateway:
    """Records calls; answers from a name → ToolOutcome table (executed with None by default)."""

    def __init__(self, **answers):
        self.answers, self.calls = answers, []

    def __call__(self, name, arguments, *, confirmed=False, idempotency_key=None):
        self.calls.append((name, arguments, confirmed, idempotency_key))
        return self.answers.get(name, ToolOutcome("executed", None))


ORDER = {
    "order_id": "#W0000001",
    "status": "delivered",
    "items": [{"name": "Mug", "item_id": "2001", "options": {"capacity": "300ml"}}],
    "payment_history": [{"payment_method_id": "credit_card_1"}],
}
FLOW = {
    "start": "ask_order",
    "steps": {
        "ask_order": {
            "type": "collect", "clause": "X-1", "slot": "order_id", "kind": "order_id",
            "prompt": "Which order?", "next": "read",
        },
        "read": {
            "type": "tool", "clause": "X-1", "tool": "get_order_details",
            "arguments": {"order_id": "{{ slots.order_id }}"}, "result": "order", "next": "confirm",
        },
        "confirm": {
            "type": "confirm", "clause": "X-2",
            "action": {"tool": "return_delivered_order_items", "arguments": {
                "order_id": "{{ slots.order_id }}", "item_ids": ["2001"],
                "payment_method_id": {"$result": "order.payment_history.0.payment_method_id"}}},
            "prompt": "Return the mug of {{ slots.order_id }}?",
            "yes": "done", "no": "done", "on_error": "failed",
        },
        "failed": {
            "type": "end", "clause": "", "outcome": "abandoned",
            "template": "No: {{ results.error.message }}",
        },
        "done": {"type": "end", "clause": "", "outcome": "resolved", "template": "Done."},
    },
}  # fmt: skip


def env(gateway, **kwargs):
    return FlowEnvironment(call_tool=gateway, key_prefix="c1:3", **kwargs)


def test_run_turn__two_order_ids__asks_back_and_calls_nothing():
    gateway = Gateway()

    outcome = run_turn(FLOW, None, "is it #W0000001 or #W0000002?", env(gateway))

    assert outcome.reply == "Which order do you mean: #W0000001 or #W0000002?"
    assert (outcome.state["step"], outcome.state["waiting"], gateway.calls) == ("ask_order", True, [])


def test_run_turn__state__copied_unless_handed_over():
    gateway = Gateway(get_order_details=ToolOutcome("executed", ORDER))
    asked = run_turn(FLOW, None, "order #W0000001", env(gateway))
    kept = copy.deepcopy(asked.state)

    copied = run_turn(FLOW, asked.state, "yes", env(gateway))
    assert (copied.state is asked.state, asked.state) == (False, kept)

    taken = run_turn(FLOW, asked.state, "yes", env(gateway), take_state=True)
    assert taken.state is asked.state
    assert (taken.state, taken.reply) == (copied.state, "Done.")


def test_run_turn__yes__executes_exactly_what_was_listed_with_a_deterministic_key():
    gateway = Gateway(get_order_details=ToolOutcome("executed", ORDER))
    asked = run_turn(FLOW, None, "order #W0000001", env(gateway))

    done = run_turn(FLOW, asked.state, "yes", env(gateway))

    assert asked.reply == "Return the mug of #W0000001?"
    assert done.reply == "Done."
    assert gateway.calls[-1] == (
        "return_delivered_order_items",
        {"order_id": "#W0000001", "item_ids": ["2001"], "payment_method_id": "credit_card_1"},
        True,
        "c1:3:confirm",
    )
    assert (done.ended, done.outcome, done.state["step"]) == (True, "resolved", None)


def test_run_turn__write_denied__on_error_with_the_message():
    gateway = Gateway(
        get_order_details=ToolOutcome("executed", ORDER),
        return_delivered_order_items=ToolOutcome("denied", None, "tool_rule", "x", "Some item not found"),
    )
    asked = run_turn(FLOW, None, "#W0000001", env(gateway))

    failed = run_turn(FLOW, asked.state, "yes", env(gateway))

    assert (failed.reply, failed.outcome) == ("No: Some item not found", "abandoned")
    assert failed.state["results"]["error"] == {
        "code": "tool_rule",
        "rule": "x",
        "message": "Some item not found",
    }


def test_run_turn__result_path_missing__error_branch_before_any_write():
    gateway = Gateway(get_order_details=ToolOutcome("executed", {"payment_history": []}))

    outcome = run_turn(FLOW, None, "#W0000001", env(gateway))

    assert outcome.reply == "No: 'order.payment_history.0.payment_method_id' does not resolve"
    assert [c[0] for c in gateway.calls] == ["get_order_details"]


def test_run_turn__three_unusable_answers__handed_off():
    gateway = Gateway()
    state = run_turn(FLOW, None, "hello", env(gateway)).state

    for text in ("no idea", "still no idea"):
        outcome = run_turn(FLOW, state, text, env(gateway))
        state = outcome.state
    last = run_turn(FLOW, state, "nope", env(gateway))

    assert (outcome.ended, last.ended, last.outcome) == (False, True, "handed_off")
    assert last.handoff == {"queue": "general", "summary": "The customer could not answer: Which order?"}
    assert [c[0] for c in gateway.calls] == ["transfer_to_human_agents"]


def test_run_turn__flow_loops_without_waiting__stopped_by_the_step_budget():
    loop = {
        "start": "a",
        "steps": {
            "a": {"type": "decide", "clause": "X-1", "rules": [], "default": "b"},
            "b": {"type": "decide", "clause": "X-1", "rules": [], "default": "a"},
        },
    }
    gateway = Gateway()

    outcome = run_turn(loop, None, "hi", env(gateway))

    assert (outcome.ended, outcome.outcome, len(outcome.steps)) == (
        True,
        "handed_off",
        MAX_STEPS_PER_TURN + 1,
    )
    assert [c[0] for c in gateway.calls] == ["transfer_to_human_agents"]


def test_run_turn__handoff_step_without_earlier_reply__customer_told_a_person_takes_over():
    # given a flow whose first step hands off to a person
    flow = {
        "start": "to_human",
        "steps": {
            "to_human": {
                "type": "handoff",
                "clause": "X-9",
                "queue": "claims",
                "reason": "Customer wants a person.",
            },
        },
    }
    gateway = Gateway()

    # when the customer writes
    outcome = run_turn(flow, None, "a person please", env(gateway))

    # then the transfer is made and the customer is not left with an empty answer
    assert gateway.calls == [
        ("transfer_to_human_agents", {"summary": "Customer wants a person."}, False, None)
    ]
    assert outcome.handoff == {"queue": "claims", "summary": "Customer wants a person."}
    assert outcome.reply == "I am passing your conversation to a colleague, who will take it from here."


def _counting_params(values: dict):
    loads = []

    def load():
        loads.append(1)
        return values

    return LazyParams(load), loads


def test_run_turn__no_step_reads_the_sop__parameters_never_loaded():
    # given SOP parameters that cost a load, and a turn that only collects an order id and reads it
    params, loads = _counting_params({"auto_refund_cap": 50})
    gateway = Gateway(get_order_details=ToolOutcome("executed", ORDER))

    # when the turn runs up to the confirmation question
    outcome = run_turn(FLOW, None, "order #W0000001", env(gateway, params=params))

    # then it asked without ever loading the parameters
    assert outcome.reply == "Return the mug of #W0000001?"
    assert loads == []


def test_run_turn__condition_and_template_read_the_sop__parameters_loaded_once():
    # given a flow whose decision and reply both read a parameter
    flow = {
        "start": "check",
        "steps": {
            "check": {
                "type": "decide", "clause": "X-1",
                "rules": [{"when": "params['reship_allowed'] == true", "next": "reship"}],
                "default": "refund",
            },
            "reship": {"type": "end", "clause": "", "outcome": "resolved",
                       "template": "Reship within {{ params.reship_days }} days."},
            "refund": {"type": "end", "clause": "", "outcome": "resolved", "template": "Refund."},
        },
    }  # fmt: skip
    params, loads = _counting_params({"reship_allowed": True, "reship_days": 3})

    # when the turn runs
    outcome = run_turn(flow, None, "my parcel never came", env(Gateway(), params=params))

    # then both read the same parameters, loaded once
    assert outcome.reply == "Reship within 3 days."
    assert loads == [1]
