"""The validator of flow definitions: every error names the step it is about.

Pure: the tool registry and the SOP's clause ids are given by the caller, so the admin, the
services and the tests share it without a database. Error codes (stable, tested one by one):

    invalid_definition      the document is not an object with `start` and `steps`
    unknown_start           `start` names no step
    unknown_step_type       a step's `type` is not one of the eight
    missing_field           a required field of the step type is absent (or `clause` is empty)
    invalid_field           a field has the wrong shape, or is unknown to the step type
    dangling_edge           next / yes / no / on_error / wait / default / a rule target names no step
    unreachable_step        no path from `start` leads to the step
    unknown_tool            the tool is not in the registry
    write_tool_in_tool_step a `tool` step calls a write (writes need a `confirm` step)
    read_tool_in_confirm    a `confirm` step's action is not a write
    tool_arguments          an argument the tool does not take, or a required one missing
    slot_before_collect     a slot is read before a `collect` fills it on every path from start
    expression_syntax       a `decide` condition does not parse (or names an unknown symbol)
    template_syntax         a template does not parse
    unknown_clause          the clause id is not a clause of the flow's SOP (nor of the SOP its
                            prefix names: AUTH-1 of `authentication` in a cancellation flow)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from jsonschema import Draft202012Validator

from scenarios.engine import expressions, templates
from scenarios.engine.schema import EDGE_FIELDS, NAME_ZIP_SLOTS, STEP_SCHEMAS, STEP_TYPES

_VALIDATORS = {name: Draft202012Validator(schema) for name, schema in STEP_SCHEMAS.items()}
# Kinds whose extractor needs the order named by the `order_id` slot.
ORDER_BOUND_KINDS = {"items", "new_items"}
# Kinds whose extractor needs the items already chosen (the new variant of each).
ITEM_BOUND_KINDS = {"new_items"}


@dataclass(frozen=True)
class FlowError:
    step: str | None
    code: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.step}: {self.message}" if self.step else self.message


def step_edges(step: Mapping) -> list[tuple[str, str]]:
    """(field, target) for every edge leaving the step, in a stable order."""
    kind = step.get("type")
    edges = [(name, step[name]) for name in EDGE_FIELDS.get(kind, ()) if isinstance(step.get(name), str)]
    if kind == "decide" and isinstance(step.get("rules"), list):
        edges[:0] = [
            (f"rules[{i}].next", rule["next"])
            for i, rule in enumerate(step["rules"])
            if isinstance(rule, Mapping) and isinstance(rule.get("next"), str)
        ]
    return edges


def step_fills(step: Mapping) -> set[str]:
    if step.get("type") != "collect" or not isinstance(step.get("slot"), str):
        return set()
    return set(NAME_ZIP_SLOTS) if step.get("kind") == "name_zip" else {step["slot"]}


def _argument_slot_reads(arguments) -> set[str]:
    names: set[str] = set()
    if not isinstance(arguments, Mapping):
        return names
    for value in arguments.values():
        if isinstance(value, str):
            names |= templates.slots_read(value)
        elif isinstance(value, Mapping) and isinstance(value.get("$slot"), str):
            names.add(value["$slot"].split(".")[0])
    return names


def step_texts(step: Mapping) -> list[tuple[str, str]]:
    """(field, template text) for every template of the step."""
    fields = {
        "collect": ("prompt",),
        "confirm": ("prompt",),
        "reply": ("template",),
        "handoff": ("reason",),
        "end": ("template",),
    }.get(step.get("type"), ())
    texts = [(name, step[name]) for name in fields if isinstance(step.get(name), str)]
    arguments = step_arguments(step)
    if isinstance(arguments, Mapping):
        texts += [(f"arguments.{k}", v) for k, v in arguments.items() if isinstance(v, str)]
    return texts


def step_tool(step: Mapping) -> str | None:
    if step.get("type") == "tool":
        return step.get("tool")
    if step.get("type") == "confirm" and isinstance(step.get("action"), Mapping):
        return step["action"].get("tool")
    return None


def step_arguments(step: Mapping):
    if step.get("type") == "tool":
        return step.get("arguments")
    if step.get("type") == "confirm" and isinstance(step.get("action"), Mapping):
        return step["action"].get("arguments")
    return None


def step_reads(step: Mapping) -> set[str]:
    """The slots a step reads; an unparsable expression or template reads nothing (reported apart)."""
    names: set[str] = set()
    for _, text in step_texts(step):
        try:
            templates.compile_template(text)
        except templates.TemplateError:
            continue
        names |= templates.slots_read(text)
    kind = step.get("type")
    names |= _argument_slot_reads(step_arguments(step))
    if kind == "decide" and isinstance(step.get("rules"), list):
        for rule in step["rules"]:
            if isinstance(rule, Mapping) and isinstance(rule.get("when"), str):
                with contextlib.suppress(expressions.ExpressionError):
                    names |= expressions.slots_read(rule["when"])
    if kind == "judge_evidence" or (kind == "collect" and step.get("kind") in ORDER_BOUND_KINDS):
        names.add("order_id")
    if kind == "collect" and step.get("kind") in ITEM_BOUND_KINDS:
        names.add("item_ids")
    return names


class _Collector:
    def __init__(self):
        self.errors: list[FlowError] = []

    def add(self, step: str | None, code: str, message: str) -> None:
        self.errors.append(FlowError(step, code, message))


def _check_shape(out: _Collector, step_id: str, step) -> bool:
    """The step against its type's schema. False when the step is too broken to analyse further."""
    if not isinstance(step, Mapping):
        out.add(step_id, "invalid_field", "a step must be an object")
        return False
    kind = step.get("type")
    if kind not in STEP_TYPES:
        out.add(
            step_id, "unknown_step_type", f"unknown step type {kind!r}; use one of {', '.join(STEP_TYPES)}"
        )
        return False
    for error in sorted(_VALIDATORS[kind].iter_errors(step), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            out.add(step_id, "missing_field", f"{kind} step needs `{missing}`")
        elif error.validator == "additionalProperties" and not error.path:
            out.add(step_id, "invalid_field", f"{kind} step: {error.message}")
        else:
            out.add(step_id, "invalid_field", f"{where or kind}: {error.message}")
    if kind != "end" and step.get("clause") == "":
        out.add(step_id, "missing_field", f"{kind} step needs `clause` (the SOP clause it implements)")
    return True


def _check_tool(out: _Collector, step_id: str, step: Mapping, tools: Mapping) -> None:
    kind = step["type"]
    name, arguments = step_tool(step), step_arguments(step)
    if not isinstance(name, str):
        return
    spec = tools.get(name)
    if spec is None:
        out.add(step_id, "unknown_tool", f"tool {name!r} is not in the tool registry")
        return
    if kind == "tool" and spec.kind != "read":
        out.add(
            step_id,
            "write_tool_in_tool_step",
            f"{name} is a {spec.kind} tool: call it from a confirm step (a handoff step for hand-offs)",
        )
    if kind == "confirm" and spec.kind != "write":
        out.add(
            step_id, "read_tool_in_confirm", f"{name} is a {spec.kind} tool: a confirm step acts with a write"
        )
    if isinstance(arguments, Mapping):
        accepted = set(spec.parameters.get("properties", {}))
        for unknown in sorted(set(arguments) - accepted):
            out.add(step_id, "tool_arguments", f"{name} takes no argument {unknown!r}")
        for missing in sorted(set(spec.parameters.get("required", [])) - set(arguments)):
            out.add(step_id, "tool_arguments", f"{name} needs the argument {missing!r}")


def _check_texts(out: _Collector, step_id: str, step: Mapping) -> None:
    for field, text in step_texts(step):
        try:
            templates.compile_template(text)
        except templates.TemplateError as error:
            out.add(step_id, "template_syntax", f"{field}: {error}")
    if step["type"] == "decide" and isinstance(step.get("rules"), list):
        for i, rule in enumerate(step["rules"]):
            if isinstance(rule, Mapping) and isinstance(rule.get("when"), str):
                try:
                    expressions.compile_expression(rule["when"])
                except expressions.ExpressionError as error:
                    out.add(step_id, "expression_syntax", f"rules[{i}].when {rule['when']!r}: {error}")


def reachable_from(start: str, steps: Mapping) -> list[str]:
    seen, queue = [start], [start]
    while queue:
        current = steps.get(queue.pop(0))
        if not isinstance(current, Mapping):
            continue
        for _, target in step_edges(current):
            if target in steps and target not in seen:
                seen.append(target)
                queue.append(target)
    return seen


def slots_available(start: str, steps: Mapping, reachable: Iterable[str]) -> dict[str, set[str]]:
    """Step → the slots filled on EVERY path from start to it (a must-analysis to a fixed point)."""
    reachable = list(reachable)
    universe = set().union(*(step_fills(steps[s]) for s in reachable)) if reachable else set()
    before = {s: (set() if s == start else set(universe)) for s in reachable}
    predecessors: dict[str, list[str]] = {s: [] for s in reachable}
    for s in reachable:
        for _, target in step_edges(steps[s]):
            if target in predecessors:
                predecessors[target].append(s)
    changed = True
    while changed:
        changed = False
        for s in reachable:
            if s == start:
                continue
            incoming = [before[p] | step_fills(steps[p]) for p in predecessors[s]]
            new = set.intersection(*incoming) if incoming else set()
            if new != before[s]:
                before[s], changed = new, True
    return before


def validate_definition(
    definition, *, tools: Mapping, sop_clauses: Iterable[str] | None = None
) -> list[FlowError]:
    """Every error of the definition; an empty list means valid. `sop_clauses` are the clause ids
    of the flow's SOP (None: not checked)."""
    out = _Collector()
    if not isinstance(definition, Mapping):
        out.add(None, "invalid_definition", "a flow definition is a JSON object")
        return out.errors
    steps, start = definition.get("steps"), definition.get("start")
    if not isinstance(steps, Mapping) or not steps:
        out.add(None, "invalid_definition", "`steps` must be a non-empty object of step id → step")
        return out.errors
    for key in sorted(set(definition) - {"start", "sop", "steps"}):
        out.add(None, "invalid_definition", f"unknown top-level field {key!r}")
    if definition.get("sop") is not None and not isinstance(definition.get("sop"), str):
        out.add(None, "invalid_definition", "`sop` must be an SOP key")
    if not isinstance(start, str):
        out.add(None, "invalid_definition", "`start` must name the first step")
        return out.errors
    if start not in steps:
        out.add(None, "unknown_start", f"start step {start!r} does not exist")

    clauses = set(sop_clauses) if sop_clauses is not None else None
    sound: dict[str, Mapping] = {}
    for step_id, step in steps.items():
        if not _check_shape(out, step_id, step):
            continue
        sound[step_id] = step
        for field, target in step_edges(step):
            if target not in steps:
                out.add(step_id, "dangling_edge", f"{field} → {target!r}: no such step")
        _check_tool(out, step_id, step, tools)
        _check_texts(out, step_id, step)
        clause = step.get("clause")
        if clauses is not None and isinstance(clause, str) and clause and clause not in clauses:
            out.add(
                step_id,
                "unknown_clause",
                f"clause {clause!r} is not a clause of SOP {definition.get('sop')} "
                "(nor of the SOP its prefix names)",
            )

    if start not in steps:
        return out.errors
    reachable = reachable_from(start, steps)
    for step_id in steps:
        if step_id not in reachable:
            out.add(step_id, "unreachable_step", f"no path from {start!r} leads to this step")
    analysable = [s for s in reachable if s in sound]
    available = slots_available(start, sound, analysable) if start in sound else {}
    for step_id in analysable:
        if step_id not in available:
            continue
        for slot in sorted(step_reads(sound[step_id]) - available[step_id]):
            out.add(
                step_id,
                "slot_before_collect",
                f"slot {slot!r} is read before a collect step fills it on every path from {start!r}",
            )
    return out.errors
