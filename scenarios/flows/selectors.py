"""Reads of flows: the clause ids a flow may cite, routing rules in order, released versions, clause
coverage. Shared by the services, the admin and the seeding."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from functools import lru_cache

from django.db.models import Max, Q

from aftersales.models import Sop, SopVersion
from scenarios.engine import routing
from scenarios.models import RoutingRule, ScenarioVersion

CACHED_VERSIONS = 256  # scenario versions in use at once, with room to spare


def _newest_version(sop: Sop) -> SopVersion | None:
    versions = sop.versions.order_by("-number")
    return versions.filter(status=SopVersion.Status.PUBLISHED).first() or versions.first()


def sop_clause_ids(sop_key: str) -> set[str] | None:
    """The clause ids of the SOP's newest published version, else of its newest version; None when
    the SOP does not exist."""
    sop = Sop.objects.filter(key=sop_key).first()
    if sop is None:
        return None
    version = _newest_version(sop)
    return set(version.clauses.values_list("clause_id", flat=True)) if version else set()


def flow_clause_ids(sop_key: str, cited: set[str]) -> set[str]:
    """The clause ids a flow may cite: its own SOP's, and those of the SOPs whose prefix the cited
    ids name (a cancellation flow authenticates the customer under AUTH-1 of `authentication`)."""
    allowed = sop_clause_ids(sop_key) or set()
    prefixes = {c.rsplit("-", 1)[0] for c in cited if "-" in c}
    for sop in Sop.objects.filter(clause_prefix__in=prefixes).exclude(key=sop_key):
        version = _newest_version(sop)
        if version is not None:
            allowed |= set(version.clauses.values_list("clause_id", flat=True))
    return allowed


def routing_rules_for(region_code: str, channel: str) -> list[routing.Rule]:
    rows = (
        RoutingRule.objects.filter(region_id=region_code, is_active=True)
        .filter(Q(channel=channel) | Q(channel=""))
        .select_related("scenario")
        .order_by("priority", "-channel", "pk")
    )
    return [
        routing.Rule(
            id=row.pk,
            scenario_key=row.scenario.key if row.scenario_id else None,
            min_confidence=row.min_confidence,
            action=row.action,
            queue=row.queue,
            version_id=row.scenario_version_id,
        )
        for row in rows
    ]


@lru_cache(maxsize=CACHED_VERSIONS)
def _version_left_draft(pk: int) -> ScenarioVersion | None:
    version = ScenarioVersion.objects.select_related("scenario").filter(pk=pk).first()
    return None if version is None or version.status == ScenarioVersion.Status.DRAFT else version


def scenario_version_cached(pk: int) -> ScenarioVersion:
    """A scenario version with its scenario, for the runtime. A version that left draft is
    immutable (definition, kind, SOP, instructions; the scenario's key never changes), so it is
    read once per process; only its ``status`` may be stale, and the runtime never reads it there.
    A draft is read each time. Treat the result as read-only: it is shared."""
    return _version_left_draft(pk) or ScenarioVersion.objects.select_related("scenario").get(pk=pk)


def released_versions(scenario_keys=None) -> dict[str, int]:
    """Scenario key → the id of its newest released version."""
    rows = ScenarioVersion.objects.filter(status=ScenarioVersion.Status.RELEASED)
    if scenario_keys is not None:
        rows = rows.filter(scenario__key__in=list(scenario_keys))
    newest = dict(rows.values("scenario__key").annotate(n=Max("number")).values_list("scenario__key", "n"))
    if not newest:
        return {}
    pairs = rows.filter(
        Q(*[Q(scenario__key=k, number=n) for k, n in newest.items()], _connector=Q.OR)
    ).values_list("scenario__key", "pk")
    return dict(pairs)


class ReleasedVersions(Mapping):
    """``released_versions()`` read one scenario at a time, as routing asks: a first message routes
    to one scenario, so one small query instead of two over every scenario. Each key is read once
    per instance (use one per routing decision)."""

    def __init__(self):
        self._read: dict[str, int | None] = {}

    def __getitem__(self, scenario_key: str) -> int:
        if scenario_key not in self._read:
            newest = ScenarioVersion.objects.filter(
                status=ScenarioVersion.Status.RELEASED, scenario__key=scenario_key
            ).order_by("-number")
            self._read[scenario_key] = newest.values_list("pk", flat=True).first()
        if self._read[scenario_key] is None:
            raise KeyError(scenario_key)
        return self._read[scenario_key]

    def __iter__(self) -> Iterator[str]:
        return iter(released_versions())

    def __len__(self) -> int:
        return len(released_versions())


def clause_coverage(sop: Sop) -> list[dict]:
    """Per clause of the SOP's newest published (else newest) version: the steps of the newest
    released (else newest) flow version of each scenario that cite it. A clause with no step is
    uncovered."""
    version = _newest_version(sop)
    if version is None:
        return []
    steps: dict[str, list[str]] = defaultdict(list)
    newest: dict[int, ScenarioVersion] = {}
    flows = ScenarioVersion.objects.filter(kind=ScenarioVersion.Kind.FLOW).exclude(
        status=ScenarioVersion.Status.RETIRED
    )
    for candidate in flows.select_related("scenario").order_by("scenario_id", "number"):
        current = newest.get(candidate.scenario_id)
        released = ScenarioVersion.Status.RELEASED
        if current is None or candidate.status == released or current.status != released:
            newest[candidate.scenario_id] = candidate
    prefix = f"{sop.clause_prefix}-"
    for flow in newest.values():
        for step_id, step in (flow.definition.get("steps") or {}).items():
            if isinstance(step, dict) and str(step.get("clause", "")).startswith(prefix):
                steps[step["clause"]].append(f"{flow.scenario.key} v{flow.number}: {step_id}")
    return [
        {"clause": c.clause_id, "title": c.title, "steps": steps.get(c.clause_id, [])}
        for c in version.clauses.order_by("position", "clause_id")
    ]


def turns_as_dicts(conversation, *, limit: int) -> list[dict]:
    """The conversation's turns with their steps, oldest first (one query whatever the count)."""
    from scenarios.models import Turn

    turns = (
        Turn.objects.filter(conversation=conversation)
        .select_related("scenario_version")
        .order_by("index")[:limit]
    )
    return [
        {
            "index": turn.index,
            "at": turn.created,
            "text": turn.customer_text,
            "reply": turn.reply,
            "scenario": turn.scenario_key or None,
            "scenario_version": turn.scenario_version.number if turn.scenario_version_id else None,
            "confidence": turn.confidence,
            "decision": turn.decision,
            "identification": turn.identification,
            "state": turn.state,
            "actions": turn.actions,
            "handoff": turn.handoff,
            "ended": turn.ended,
            "duration_ms": turn.duration_ms,
            "steps": turn.steps,
        }
        for turn in turns
    ]
