"""The published JSON schema of a flow definition (docs/flows.md explains it in words).

One sub-schema per step type: the validator checks each step against the sub-schema of its own type,
so that an error names the step and the field instead of the unreadable failure of a big `oneOf`.
`FLOW_SCHEMA` assembles them for editors and clients (served at `GET /api/v1/flow-schema/`)."""

from __future__ import annotations

SLOT_KINDS = (
    "order_id",
    "email",
    "name_zip",
    "items",
    "yes_no",
    "cancel_reason",
    "payment_method",
    "address",
    "text",
    "new_items",
)
# A `name_zip` collect fills three slots at once; every other kind fills the slot it names.
NAME_ZIP_SLOTS = ("first_name", "last_name", "zip")
CLAIM_TYPES = ("damaged", "wrong_item", "not_received")
OUTCOMES = ("resolved", "abandoned")
STEP_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
# The slot and result names a flow may use: identifiers, so expressions and templates can read them.
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"

_STEP_ID = {"type": "string", "pattern": STEP_ID_PATTERN}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 4000}
_CLAUSE = {
    "type": "string",
    "maxLength": 20,
    "description": 'The SOP clause the step implements, e.g. "CAN-2".',
}
_VALUE_REF = {
    "type": "object",
    "properties": {
        "$slot": {"type": "string", "minLength": 1},
        "$result": {"type": "string", "minLength": 1},
    },
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
}
_ARGUMENTS = {
    "type": "object",
    "additionalProperties": {
        "description": 'A template string ("{{ slots.order_id }}"), a reference ({"$slot": ...} or '
        '{"$result": "order.items.0.item_id"}) or a JSON literal.',
    },
}


def _step(type_: str, required: tuple[str, ...], **properties) -> dict:
    return {
        "type": "object",
        "properties": {
            "type": {"const": type_},
            "clause": _CLAUSE,
            "title": {"type": "string"},
            **properties,
        },
        "required": ["type", "clause", *required],
        "additionalProperties": False,
    }


STEP_SCHEMAS: dict[str, dict] = {
    "collect": _step(
        "collect",
        ("slot", "kind", "prompt", "next"),
        slot={"type": "string", "pattern": NAME_PATTERN},
        kind={"enum": list(SLOT_KINDS)},
        prompt=_TEXT,
        next=_STEP_ID,
    ),
    "tool": _step(
        "tool",
        ("tool", "arguments", "next"),
        tool={"type": "string", "minLength": 1},
        arguments=_ARGUMENTS,
        result={"type": "string", "pattern": NAME_PATTERN},
        next=_STEP_ID,
        on_error=_STEP_ID,
    ),
    "decide": _step(
        "decide",
        ("rules", "default"),
        rules={
            "type": "array",
            "maxItems": 50,
            "items": {
                "type": "object",
                "properties": {"when": _TEXT, "next": _STEP_ID},
                "required": ["when", "next"],
                "additionalProperties": False,
            },
        },
        default=_STEP_ID,
    ),
    "judge_evidence": _step(
        "judge_evidence",
        ("claim_type", "result", "next"),
        claim_type={"enum": list(CLAIM_TYPES)},
        result={"type": "string", "pattern": NAME_PATTERN},
        next=_STEP_ID,
    ),
    "confirm": _step(
        "confirm",
        ("action", "prompt", "yes", "no"),
        action={
            "type": "object",
            "properties": {"tool": {"type": "string", "minLength": 1}, "arguments": _ARGUMENTS},
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        },
        prompt=_TEXT,
        yes=_STEP_ID,
        no=_STEP_ID,
        on_error=_STEP_ID,
    ),
    "reply": _step("reply", ("template",), template=_TEXT, next=_STEP_ID, wait=_STEP_ID),
    "handoff": _step("handoff", ("queue", "reason"), queue={"type": "string", "minLength": 1}, reason=_TEXT),
    "end": _step("end", ("outcome",), outcome={"enum": list(OUTCOMES)}, template=_TEXT),
}
STEP_TYPES = tuple(STEP_SCHEMAS)
# The fields of each step type that name another step (the edges of the graph).
EDGE_FIELDS = {
    "collect": ("next",),
    "tool": ("next", "on_error"),
    "decide": ("default",),  # plus rules[*].next
    "judge_evidence": ("next",),
    "confirm": ("yes", "no", "on_error"),
    "reply": ("next", "wait"),
    "handoff": (),
    "end": (),
}

FLOW_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://redress.example/schemas/flow.json",
    "title": "Redress flow definition",
    "type": "object",
    "properties": {
        "start": _STEP_ID,
        "sop": {"type": "string", "description": "SOP key whose resolved parameters are `params`."},
        "steps": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 200,
            "propertyNames": {"pattern": STEP_ID_PATTERN},
            "additionalProperties": {
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"enum": list(STEP_TYPES)}},
                "allOf": [
                    {"if": {"properties": {"type": {"const": t}}}, "then": {"$ref": f"#/$defs/{t}"}}
                    for t in STEP_TYPES
                ],
            },
        },
    },
    "required": ["start", "steps"],
    "additionalProperties": False,
    "$defs": STEP_SCHEMAS,
}
