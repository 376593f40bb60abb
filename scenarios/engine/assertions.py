"""The scenario test case format (a JSON schema) and its assertions, checked against what a played
conversation showed. Pure: the runner (`scenarios.services.scenario_tests`) collects the
observations and looks up the marketplace; this module only compares.

A case::

    {"region": "US", "channel": "chat", "scenario": "cancel-order"?, "customer_id": "..."?,
     "fixture": {"base": "reference", "patch": {"orders": {"#W1": {"status": "pending"}}}},
     "turns": [{"user": "cancel #W1", "evidence": [...]?, "expect": {...}?}],
     "expect": {...}}

Assertions (per turn and at the end): `scenario`, `slots` (subset), `tool_called` / `tool_denied`
(lists, arguments a subset), `tool_not_called`, `reply_contains` / `reply_not_contains`
(case-insensitive substrings), `handoff` (`{"queue", "summary_contains"}` or null), `ended`,
`outcome` (end only),
`marketplace` (`[{"order" | "customer" | "payment_method" | "product": id, "path": "a.b.0", "equals": v}]`),
`marketplace_unchanged` (end only).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

MARKETPLACE_KINDS = ("order", "customer", "payment_method", "product")
PATCHABLE = {"orders", "customers", "payment_methods"}

_STRINGS = {"anyOf": [{"type": "string", "minLength": 1}, {"type": "array", "items": {"type": "string"}}]}
_TOOL = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "arguments": {"type": "object"},
        "status": {"enum": ["executed", "denied", "failed"]},
        "rule": {"type": "string"},
        "code": {"type": "string"},
    },
    "additionalProperties": False,
}
_STATE = {
    "type": "object",
    "minProperties": 2,
    "maxProperties": 3,
    "properties": {
        **{kind: {"type": "string", "minLength": 1} for kind in MARKETPLACE_KINDS},
        "path": {"type": "string"},
        "equals": {},
    },
    "required": ["path", "equals"],
    "additionalProperties": False,
}
_EXPECT_PROPERTIES = {
    "scenario": {"type": ["string", "null"]},
    "slots": {"type": "object"},
    "tool_called": {"type": "array", "items": {**_TOOL, "required": ["name"]}},
    "tool_denied": {"type": "array", "items": _TOOL},
    "tool_not_called": {"type": "array", "items": {"type": "string"}},
    "reply_contains": _STRINGS,
    "reply_not_contains": _STRINGS,
    "handoff": {
        "anyOf": [
            {"type": "null"},
            {
                "type": "object",
                "properties": {"queue": {"type": "string"}, "summary_contains": {"type": "string"}},
                "additionalProperties": False,
            },
        ]
    },
    "ended": {"type": "boolean"},
    "marketplace": {"type": "array", "items": _STATE},
}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Scenario test case",
    "type": "object",
    "required": ["region", "turns"],
    "additionalProperties": False,
    "properties": {
        "region": {"type": "string", "minLength": 2, "maxLength": 8},
        "channel": {"type": "string"},
        "scenario": {"type": "string", "minLength": 1},
        "customer_id": {"type": "string", "minLength": 1},
        "fixture": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "base": {"const": "reference"},
                "patch": {
                    "type": "object",
                    "propertyNames": {"enum": sorted(PATCHABLE)},
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": {"type": "object", "minProperties": 1},
                    },
                },
            },
        },
        "turns": {
            "type": "array",
            "minItems": 1,
            "maxItems": 30,
            "items": {
                "type": "object",
                "required": ["user"],
                "additionalProperties": False,
                "properties": {
                    "user": {"type": "string", "minLength": 1, "maxLength": 2000},
                    "evidence": {"type": "array", "items": {"type": "object"}},
                    "expect": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": _EXPECT_PROPERTIES,
                    },
                },
            },
        },
        "expect": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                **_EXPECT_PROPERTIES,
                "outcome": {"enum": ["resolved", "handed_off", "abandoned", ""]},
                "marketplace_unchanged": {"type": "boolean"},
            },
        },
    },
}


@cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(SCHEMA)
    return Draft202012Validator(SCHEMA)


def definition_errors(definition: Any) -> list[str]:
    """Every schema error of a case definition, each with the JSON path it is at."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(_validator().iter_errors(definition), key=lambda e: list(e.absolute_path))
    ]


# ------------------------------------------------------------------------------ checking


def resolve_path(document: Any, path: str) -> Any:
    """`a.b.0.c` in nested dicts and lists; KeyError when a part is not there."""
    value = document
    for part in path.split(".") if path else []:
        if isinstance(value, list) and part.lstrip("-").isdigit():
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise KeyError(path)
    return value


def _subset(expected: Any, actual: Any) -> bool:
    """Dicts match on the expected keys (recursively); everything else is equal."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _subset(value, actual[key]) for key, value in expected.items()
        )
    return expected == actual


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _tool_matches(expected: dict, call: dict) -> bool:
    return all(
        _subset(value, call.get(key)) if key == "arguments" else call.get(key) == value
        for key, value in expected.items()
    )


def _handoff_matches(expected: dict, handoff: dict | None) -> bool:
    if handoff is None:
        return False
    summary = expected.get("summary_contains", "").lower()
    return (
        expected.get("queue", handoff.get("queue")) == handoff.get("queue")
        and summary in str(handoff.get("summary", "")).lower()
    )


def _brief(call: dict) -> dict:
    return {k: call.get(k) for k in ("name", "arguments", "status", "code", "rule")}


def check(
    expect: dict, observed: dict, *, where: str, lookup: Callable[[str, str], Any] | None = None
) -> list[dict]:
    """The failed assertions of ``expect`` against ``observed`` (keys: scenario, slots, reply,
    tool_calls, handoff, ended, outcome, marketplace_changed), each with expected and actual.
    ``lookup(kind, id)`` gives a marketplace record as the export shows it (None: no such record)."""
    failures: list[dict] = []

    def fail(assertion: str, expected: Any, actual: Any) -> None:
        failures.append({"where": where, "assertion": assertion, "expected": expected, "actual": actual})

    calls = observed.get("tool_calls", [])
    if "scenario" in expect and expect["scenario"] != observed.get("scenario"):
        fail("scenario", expect["scenario"], observed.get("scenario"))
    slots = observed.get("slots") or {}
    for name, value in expect.get("slots", {}).items():
        if name not in slots or not _subset(value, slots[name]):
            fail(f"slot {name}", value, slots.get(name))
    for expected in expect.get("tool_called", []):
        if not any(_tool_matches(expected, call) for call in calls):
            fail(f"tool called {expected.get('name')}", expected, [_brief(c) for c in calls])
    for expected in expect.get("tool_denied", []):
        if not any(_tool_matches({**expected, "status": "denied"}, call) for call in calls):
            fail("tool denied", {**expected, "status": "denied"}, [_brief(c) for c in calls])
    for name in expect.get("tool_not_called", []):
        executed = [_brief(c) for c in calls if c["name"] == name and c["status"] == "executed"]
        if executed:
            fail(f"tool not called {name}", [], executed)
    reply = observed.get("reply", "")
    for text in _as_list(expect.get("reply_contains", [])):
        if text.lower() not in reply.lower():
            fail("reply contains", text, reply)
    for text in _as_list(expect.get("reply_not_contains", [])):
        if text.lower() in reply.lower():
            fail("reply does not contain", text, reply)
    if "handoff" in expect:
        handoff = observed.get("handoff")
        if expect["handoff"] is None and handoff is not None:
            fail("handoff", None, handoff)
        elif expect["handoff"] is not None and not _handoff_matches(expect["handoff"], handoff):
            fail("handoff", expect["handoff"], handoff)
    for name in ("ended", "outcome"):
        if name in expect and expect[name] != observed.get(name):
            fail(name, expect[name], observed.get(name))
    if expect.get("marketplace_unchanged") and observed.get("marketplace_changed"):
        fail("marketplace unchanged", [], observed["marketplace_changed"])
    for state in expect.get("marketplace", []):
        kind = next(k for k in MARKETPLACE_KINDS if k in state)
        label = f"{kind} {state[kind]} {state['path']}"
        record = lookup(kind, state[kind]) if lookup else None
        try:
            actual = resolve_path(record, state["path"]) if record is not None else "<no such record>"
        except (KeyError, IndexError):
            actual = "<no such field>"
        if actual != state["equals"]:
            fail(f"marketplace {label}", state["equals"], actual)
    return failures
