"""The seeded flows (definitions/<scenario key>.json) released, and routing rules for every region.
Idempotent: a flow whose content is already released is left alone; a changed file becomes a new
released version."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from aftersales.models import Region
from scenarios.models import RoutingRule, Scenario, ScenarioVersion
from scenarios.services.flows import (
    content_hash,
    scenario_version_create,
    scenario_version_release,
    scenario_version_update,
)

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
ROUTE_CONFIDENCE = 0.55  # below it the identification is a guess: the catch-all rule asks to clarify
CATCH_ALL_PRIORITY = 1000
AUTHENTICATION_START = "known_customer"


def _expanded(source: dict) -> dict:
    """A seed file marked `"authenticate": true` gets the shared authentication steps in front of
    its `start` (a seeding convenience: the stored definition is the whole, plain flow)."""
    if not source.pop("authenticate", False):
        return source
    text = (DEFINITIONS / "_authentication.json").read_text().replace('"$after"', json.dumps(source["start"]))
    return {**source, "start": AUTHENTICATION_START, "steps": {**json.loads(text), **source["steps"]}}


def seeded_definitions() -> dict[str, dict]:
    """Scenario key → its seeded flow definition."""
    return {
        path.stem: _expanded(json.loads(path.read_text()))
        for path in sorted(DEFINITIONS.glob("*.json"))
        if not path.stem.startswith("_")
    }


def _release(actor, scenario: Scenario, definition: dict) -> ScenarioVersion | None:
    digest = content_hash(ScenarioVersion.Kind.FLOW, definition, "", [])
    if scenario.versions.filter(content_hash=digest, status=ScenarioVersion.Status.RELEASED).exists():
        return None
    draft = scenario.versions.filter(status=ScenarioVersion.Status.DRAFT).first()
    if draft is None:
        draft = scenario_version_create(
            actor=actor, scenario=scenario, definition=definition, change_summary="Seeded flow."
        )
    else:
        draft = scenario_version_update(actor=actor, version=draft, definition=definition)
    return scenario_version_release(actor=actor, version=draft)


def _route(region: Region, scenario: Scenario) -> None:
    if not RoutingRule.objects.filter(region=region, channel="", scenario=scenario).exists():
        rule = RoutingRule(
            region=region,
            channel="",
            priority=100,
            scenario=scenario,
            min_confidence=ROUTE_CONFIDENCE,
            action=RoutingRule.Action.ROUTE,
            note="Seeded: the newest released flow.",
        )
        rule.full_clean()
        rule.save()


def _catch_all(region: Region) -> None:
    if not RoutingRule.objects.filter(region=region, scenario__isnull=True).exists():
        rule = RoutingRule(
            region=region,
            priority=CATCH_ALL_PRIORITY,
            min_confidence=0.0,
            action=RoutingRule.Action.CLARIFY,
            note="Seeded: anything unmatched or unsure is asked back.",
        )
        rule.full_clean()
        rule.save()


@transaction.atomic
def flows_seed_demo(*, actor) -> list[str]:
    """Release the seeded flows of the scenarios that exist; route them in every region. Returns
    the keys of the scenarios that got a new released version."""
    released = []
    scenarios = Scenario.objects.in_bulk(list(seeded_definitions()), field_name="key")
    for key, definition in seeded_definitions().items():
        scenario = scenarios.get(key)
        if scenario is None:
            continue
        if _release(actor, scenario, definition) is not None:
            released.append(key)
    for region in Region.objects.all():
        for scenario in scenarios.values():
            _route(region, scenario)
        _catch_all(region)
    return released
