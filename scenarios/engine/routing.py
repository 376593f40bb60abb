"""Routing: the first matching rule of a region and channel decides what handles an identified
message — a scenario version, a clarifying question, or a human queue. Pure over the rules the
caller loaded (ordered by priority, a channel's own rules before the any-channel ones at equal
priority); with no matching rule the customer is asked to clarify."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ROUTE, CLARIFY, HANDOFF = "route", "clarify", "handoff"


@dataclass(frozen=True)
class Rule:
    id: int | None
    scenario_key: str | None  # None: any identification, out of scope included
    min_confidence: float
    action: str
    queue: str = ""
    version_id: int | None = None  # None: the newest released version of the scenario


@dataclass(frozen=True)
class RouteDecision:
    action: str
    scenario_key: str | None = None
    version_id: int | None = None
    queue: str = ""
    rule_id: int | None = None
    reason: str = ""


def route(
    rules: Iterable[Rule],
    *,
    scenario_key: str | None,
    confidence: float,
    released: Mapping[str, int],
) -> RouteDecision:
    """`released` maps a scenario key to its newest released version id."""
    for rule in rules:
        if rule.scenario_key is not None and rule.scenario_key != scenario_key:
            continue
        if confidence < rule.min_confidence:
            continue
        if rule.action == ROUTE:
            target = rule.scenario_key or scenario_key
            version_id = rule.version_id or released.get(target or "")
            if version_id is None:
                continue  # nothing released to serve it yet: a later rule (or clarify) decides
            return RouteDecision(ROUTE, target, version_id, rule_id=rule.id, reason="rule matched")
        if rule.action == HANDOFF:
            return RouteDecision(
                HANDOFF, scenario_key, queue=rule.queue, rule_id=rule.id, reason="rule matched"
            )
        return RouteDecision(CLARIFY, scenario_key, rule_id=rule.id, reason="rule matched")
    return RouteDecision(CLARIFY, scenario_key, reason="no rule matched")
