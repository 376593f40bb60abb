"""The flow validator: one test per error class, each naming the step (no database needed)."""

import copy

import pytest

from aftersales.marketplace.tools import TOOLS
from scenarios.engine.schema import FLOW_SCHEMA, STEP_TYPES
from scenarios.engine.validate import FlowError, validate_definition

CLAUSES = {"CAN-1", "CAN-2", "CAN-3", "CAN-4"}


def cancel_flow() -> dict:
    return {
        "start": "ask_order",
        "sop": "order-cancellation",
        "steps": {
            "ask_order": {
                "type": "collect",
                "clause": "CAN-1",
                "slot": "order_id",
                "kind": "order_id",
                "prompt": "Which order?",
                "next": "read_order",
            },
            "read_order": {
                "type": "tool",
                "clause": "CAN-1",
                "tool": "get_order_details",
                "arguments": {"order_id": "{{ slots.order_id }}"},
                "result": "order",
                "next": "is_pending",
                "on_error": "not_found",
            },
            "is_pending": {
                "type": "decide",
                "clause": "CAN-1",
                "rules": [{"when": "results['order']['status'] == 'pending'", "next": "ask_reason"}],
                "default": "not_pending",
            },
            "ask_reason": {
                "type": "collect",
                "clause": "CAN-2",
                "slot": "reason",
                "kind": "cancel_reason",
                "prompt": "Why?",
                "next": "confirm",
            },
            "confirm": {
                "type": "confirm",
                "clause": "CAN-4",
                "action": {
                    "tool": "cancel_pending_order",
                    "arguments": {"order_id": "{{ slots.order_id }}", "reason": "{{ slots.reason }}"},
                },
                "prompt": "Cancel {{ slots.order_id }} because {{ slots.reason }}?",
                "yes": "done",
                "no": "kept",
            },
            "done": {"type": "end", "clause": "CAN-3", "outcome": "resolved", "template": "Cancelled."},
            "kept": {"type": "end", "clause": "", "outcome": "abandoned"},
            "not_pending": {
                "type": "reply",
                "clause": "CAN-1",
                "template": "It is {{ results.order.status }}.",
            },
            "not_found": {"type": "handoff", "clause": "CAN-1", "queue": "general", "reason": "no order"},
        },
    }


def errors_of(definition, clauses=CLAUSES) -> list[tuple]:
    return [(e.step, e.code) for e in validate_definition(definition, tools=TOOLS, sop_clauses=clauses)]


def test_validate__valid_flow__no_errors():
    assert errors_of(cancel_flow()) == []


def test_validate__not_an_object__invalid_definition():
    assert errors_of(["steps"]) == [(None, "invalid_definition")]
    assert errors_of({"start": "a", "steps": {}}) == [(None, "invalid_definition")]
    assert errors_of(
        {"start": "a", "steps": {"a": {"type": "end", "clause": "", "outcome": "resolved"}}, "x": 1}
    ) == [(None, "invalid_definition")]


def test_validate__start_names_no_step__unknown_start():
    flow = cancel_flow()
    flow["start"] = "nowhere"
    assert (None, "unknown_start") in errors_of(flow)


def test_validate__unknown_step_type__error_names_step():
    flow = cancel_flow()
    flow["steps"]["kept"] = {"type": "teleport", "clause": "CAN-1"}

    errors = validate_definition(flow, tools=TOOLS, sop_clauses=CLAUSES)

    assert errors == [
        FlowError(
            "kept", "unknown_step_type", f"unknown step type 'teleport'; use one of {', '.join(STEP_TYPES)}"
        )
    ]
    assert str(errors[0]).startswith("kept: unknown step type")


def test_validate__required_field_missing__missing_field():
    flow = cancel_flow()
    del flow["steps"]["ask_reason"]["prompt"]
    flow["steps"]["read_order"]["clause"] = ""

    errors = validate_definition(flow, tools=TOOLS, sop_clauses=CLAUSES)

    assert [(e.step, e.code, e.message) for e in errors] == [
        ("read_order", "missing_field", "tool step needs `clause` (the SOP clause it implements)"),
        ("ask_reason", "missing_field", "collect step needs `prompt`"),
    ]


def test_validate__wrong_shape_or_unknown_field__invalid_field():
    flow = cancel_flow()
    flow["steps"]["ask_order"]["kind"] = "shoe_size"
    flow["steps"]["done"]["colour"] = "red"

    assert errors_of(flow) == [("ask_order", "invalid_field"), ("done", "invalid_field")]


@pytest.mark.parametrize(
    ("step", "field"),
    [("ask_order", "next"), ("read_order", "on_error"), ("is_pending", "default"), ("confirm", "no")],
)
def test_validate__edge_to_missing_step__dangling_edge(step, field):
    flow = cancel_flow()
    flow["steps"][step][field] = "ghost"

    errors = [
        e for e in validate_definition(flow, tools=TOOLS, sop_clauses=CLAUSES) if e.code == "dangling_edge"
    ]

    assert [(e.step, e.message) for e in errors] == [(step, f"{field} → 'ghost': no such step")]


def test_validate__decide_rule_target_missing__dangling_edge():
    flow = cancel_flow()
    flow["steps"]["is_pending"]["rules"].append({"when": "true", "next": "ghost"})

    assert ("is_pending", "dangling_edge") in errors_of(flow)


def test_validate__step_nobody_reaches__unreachable_step():
    flow = cancel_flow()
    flow["steps"]["orphan"] = {"type": "end", "clause": "", "outcome": "resolved"}

    assert errors_of(flow) == [("orphan", "unreachable_step")]


def test_validate__tool_not_registered__unknown_tool():
    flow = cancel_flow()
    flow["steps"]["read_order"]["tool"] = "get_order_detail"

    assert errors_of(flow) == [("read_order", "unknown_tool")]


def test_validate__write_tool_in_tool_step__refused():
    flow = cancel_flow()
    flow["steps"]["read_order"]["tool"] = "cancel_pending_order"
    flow["steps"]["read_order"]["arguments"] = {
        "order_id": "{{ slots.order_id }}",
        "reason": "ordered by mistake",
    }

    assert errors_of(flow) == [("read_order", "write_tool_in_tool_step")]


def test_validate__read_tool_in_confirm__refused():
    flow = cancel_flow()
    flow["steps"]["confirm"]["action"] = {"tool": "get_order_details", "arguments": {"order_id": "#W1"}}

    assert errors_of(flow) == [("confirm", "read_tool_in_confirm")]


def test_validate__arguments_not_of_the_tool__tool_arguments():
    flow = cancel_flow()
    flow["steps"]["confirm"]["action"]["arguments"] = {"order_id": "#W1", "why": "x"}

    messages = [e.message for e in validate_definition(flow, tools=TOOLS, sop_clauses=CLAUSES)]

    assert messages == [
        "cancel_pending_order takes no argument 'why'",
        "cancel_pending_order needs the argument 'reason'",
    ]


def test_validate__slot_read_before_any_collect__slot_before_collect():
    flow = cancel_flow()
    flow["start"] = "read_order"
    flow["steps"]["read_order"]["next"] = "is_pending"
    flow["steps"]["ask_order"]["next"] = "read_order"

    errors = validate_definition(flow, tools=TOOLS, sop_clauses=CLAUSES)

    assert [(e.step, e.code, e.message) for e in errors] == [
        ("ask_order", "unreachable_step", "no path from 'read_order' leads to this step"),
        (
            "read_order",
            "slot_before_collect",
            "slot 'order_id' is read before a collect step fills it on every path from 'read_order'",
        ),
        (
            "confirm",
            "slot_before_collect",
            "slot 'order_id' is read before a collect step fills it on every path from 'read_order'",
        ),
    ]


def test_validate__slot_collected_on_one_branch_only__slot_before_collect():
    """`reason` is collected only when the order is pending; the `not_pending` reply reads it too."""
    flow = cancel_flow()
    flow["steps"]["not_pending"]["template"] = "Not cancelled ({{ slots.reason }})."

    assert errors_of(flow) == [("not_pending", "slot_before_collect")]


def test_validate__slot_read_in_expression_and_slot_ref__slot_before_collect():
    flow = cancel_flow()
    flow["steps"]["is_pending"]["rules"][0]["when"] = "slots['reason'] == 'x'"
    flow["steps"]["read_order"]["arguments"] = {"order_id": {"$slot": "reason"}}

    assert errors_of(flow) == [("read_order", "slot_before_collect"), ("is_pending", "slot_before_collect")]


def test_validate__loop_back_to_collect__slots_still_available():
    flow = cancel_flow()
    flow["steps"]["not_found"] = {
        "type": "reply",
        "clause": "CAN-1",
        "template": "No such order.",
        "next": "ask_order",
    }

    assert errors_of(flow) == []


def test_validate__name_zip_collect__fills_three_slots():
    flow = cancel_flow()
    flow["steps"]["ask_order"].update(kind="name_zip", slot="who")
    flow["steps"]["read_order"] = {
        "type": "tool",
        "clause": "CAN-1",
        "tool": "find_user_id_by_name_zip",
        "arguments": {
            "first_name": "{{ slots.first_name }}",
            "last_name": "{{ slots.last_name }}",
            "zip": "{{ slots.zip }}",
        },
        "result": "order",
        "next": "is_pending",
    }
    flow["steps"]["confirm"]["action"]["arguments"]["order_id"] = "#W1"
    flow["steps"]["confirm"]["prompt"] = "Cancel?"

    assert errors_of(flow) == [("not_found", "unreachable_step")]


def test_validate__expression_does_not_parse__expression_syntax():
    flow = cancel_flow()
    flow["steps"]["is_pending"]["rules"] = [
        {"when": "results['order']['status'] ==", "next": "ask_reason"},
        {"when": "order.status == 'pending'", "next": "ask_reason"},
    ]

    errors = validate_definition(flow, tools=TOOLS, sop_clauses=CLAUSES)

    assert [(e.step, e.code) for e in errors] == [("is_pending", "expression_syntax")] * 2
    assert "unknown symbol 'order'" in errors[1].message


def test_validate__template_does_not_parse__template_syntax():
    flow = cancel_flow()
    flow["steps"]["done"]["template"] = "{% if slots.order_id %}Cancelled."

    assert errors_of(flow) == [("done", "template_syntax")]


def test_validate__clause_not_in_sop__unknown_clause():
    flow = cancel_flow()
    flow["steps"]["ask_reason"]["clause"] = "RET-2"

    assert errors_of(flow) == [("ask_reason", "unknown_clause")]
    assert errors_of(flow, clauses=None) == []


def test_validate__does_not_mutate_the_definition():
    flow = cancel_flow()
    before = copy.deepcopy(flow)

    validate_definition(flow, tools=TOOLS, sop_clauses=CLAUSES)

    assert flow == before


def test_flow_schema__published__every_step_type_defined():
    assert sorted(FLOW_SCHEMA["$defs"]) == sorted(STEP_TYPES)
    assert FLOW_SCHEMA["required"] == ["start", "steps"]
