"""Scenario tests: cases (create, import), runs (queue, execute) and the player of one case.

A case plays a whole conversation through the same services the API uses (never HTTP) and must
never change the live marketplace: each case runs inside ``transaction.atomic()`` and is rolled
back by raising a private exception once its observations are collected (the services' own atomics
become savepoints, their ``on_commit`` follow-ups are dropped). The result row is written after the
rollback, so a result names a conversation that no longer exists; it keeps the transcript instead.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from aftersales.marketplace.io import (
    customer_as_json,
    marketplace_export,
    order_as_json,
    payment_method_json,
    product_as_json,
)
from aftersales.models import ApiClient, Customer, Order, PaymentMethod, Product, Region
from config.errors import InvalidTransition, NotFound, ValidationFailed
from scenarios.engine.assertions import check, definition_errors
from scenarios.engine.runner import initial_state
from scenarios.models import (
    Conversation,
    Scenario,
    ScenarioTestCase,
    ScenarioTestResult,
    ScenarioTestRun,
    ScenarioVersion,
    ToolCall,
)
from scenarios.services.conversations import conversation_open
from scenarios.services.flows import conversation_message

TEST_CLIENT = "scenario-tests"
RunStatus = ScenarioTestRun.Status
PATCH_MODELS = {"orders": Order, "customers": Customer, "payment_methods": PaymentMethod}
LOOKUPS = {
    "order": (Order, order_as_json),
    "customer": (Customer, customer_as_json),
    "payment_method": (PaymentMethod, payment_method_json),
    "product": (Product, product_as_json),
}


# "$now-3d": a time relative to the run, so evidence stays inside (or outside) a claim window for good.
RELATIVE_TIME = re.compile(r"^\$now(?:([+-]\d{1,4})([dhm]))?$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class _RollBack(Exception):
    """Leaves the case's transaction once its observations are collected."""


# ----------------------------------------------------------------------------------- cases


def _validated(case: ScenarioTestCase) -> ScenarioTestCase:
    errors = definition_errors(case.definition)
    if errors:
        raise ValidationFailed(
            f"The test case {case.name!r} has {len(errors)} error(s): {errors[0]}",
            code="invalid_test_case",
            details={"definition": errors},
        )
    try:
        case.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(
            "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()),
            code="invalid_test_case",
            details=exc.message_dict,
        ) from exc
    return case


@transaction.atomic
def scenario_test_case_upsert(
    *, actor, scenario: Scenario, name: str, definition: dict, description: str = "", enabled: bool = True
) -> tuple[ScenarioTestCase, bool]:
    """Create the case, or replace the definition of the scenario's case of that name.
    Returns (case, created)."""
    case = ScenarioTestCase.objects.select_for_update().filter(scenario=scenario, name=name).first()
    created = case is None
    if created:
        case = ScenarioTestCase(scenario=scenario, name=name)
    case.definition, case.description, case.enabled = definition, description, enabled
    _validated(case)
    if created:
        case.save()
    else:
        case.save(update_fields=["definition", "description", "enabled", "updated"])
    return case, created


@dataclass
class ParsedCase:
    scenario_key: str
    name: str
    description: str
    enabled: bool
    definition: Any
    errors: list[str] = field(default_factory=list)
    action: str = "create"  # create | update | unchanged


def scenario_test_cases_parse(document: Any) -> list[ParsedCase]:
    """The cases of an import document — ``{"scenario"?, "cases": [{"scenario"?, "name",
    "description"?, "enabled"?, "definition"}]}`` or a bare list of cases — each checked and
    compared with the database (nothing is written)."""
    if isinstance(document, list):
        document = {"cases": document}
    if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
        raise ValidationFailed('An import is {"cases": [...]} or a list of cases.', code="invalid_import")
    scenarios = {s.key: s for s in Scenario.objects.all()}
    parsed = []
    for position, raw in enumerate(document["cases"], start=1):
        raw = raw if isinstance(raw, dict) else {}
        row = ParsedCase(
            scenario_key=str(raw.get("scenario") or document.get("scenario") or ""),
            name=str(raw.get("name") or ""),
            description=str(raw.get("description") or ""),
            enabled=bool(raw.get("enabled", True)),
            definition=raw.get("definition"),
        )
        if not row.name:
            row.errors.append(f"case {position}: no name")
        scenario = scenarios.get(row.scenario_key)
        if scenario is None:
            row.errors.append(f"case {position}: unknown scenario {row.scenario_key!r}")
        row.errors += [f"case {position}: {e}" for e in definition_errors(row.definition)]
        existing = (
            ScenarioTestCase.objects.filter(scenario=scenario, name=row.name).first() if scenario else None
        )
        if existing is not None:
            same = (existing.definition, existing.description, existing.enabled) == (
                row.definition,
                row.description,
                row.enabled,
            )
            row.action = "unchanged" if same else "update"
        parsed.append(row)
    names = [(r.scenario_key, r.name) for r in parsed]
    for row in parsed:
        if names.count((row.scenario_key, row.name)) > 1:
            row.errors.append(f"{row.scenario_key} / {row.name}: the name appears twice in the file")
    return parsed


@transaction.atomic
def scenario_test_cases_import(*, actor, document: Any) -> dict[str, int]:
    """All or nothing: any invalid case refuses the whole import."""
    parsed = scenario_test_cases_parse(document)
    errors = [e for row in parsed for e in row.errors]
    if errors:
        raise ValidationFailed(
            f"The import has {len(errors)} error(s): {errors[0]}",
            code="invalid_import",
            details={"errors": errors},
        )
    counts = {"create": 0, "update": 0, "unchanged": 0}
    scenarios = {s.key: s for s in Scenario.objects.filter(key__in={r.scenario_key for r in parsed})}
    for row in parsed:
        counts[row.action] += 1
        if row.action != "unchanged":
            scenario_test_case_upsert(
                actor=actor,
                scenario=scenarios[row.scenario_key],
                name=row.name,
                definition=row.definition,
                description=row.description,
                enabled=row.enabled,
            )
    return counts


def scenario_test_cases_export(cases: Iterable[ScenarioTestCase]) -> dict:
    """The import format, so an export imports back unchanged."""
    return {
        "cases": [
            {
                "scenario": case.scenario.key,
                "name": case.name,
                "description": case.description,
                "enabled": case.enabled,
                "definition": case.definition,
            }
            for case in cases
        ]
    }


# ------------------------------------------------------------------------------------ runs


@transaction.atomic
def scenario_test_run_create(
    *, actor, version: ScenarioVersion, case_names: list[str] | None = None
) -> ScenarioTestRun:
    """A queued run of the version's enabled cases (or of the named ones)."""
    run = ScenarioTestRun(
        scenario_version=version,
        case_names=sorted(case_names or []),
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    run.full_clean()
    run.save()
    return run


def scenario_test_run_enqueue(*, actor, version: ScenarioVersion, case_names=None) -> ScenarioTestRun:
    from scenarios.tasks import run_scenario_tests

    with transaction.atomic():
        run = scenario_test_run_create(actor=actor, version=version, case_names=case_names)
        run_scenario_tests.delay_on_commit(run.pk)
    return run


def _cases_of(run: ScenarioTestRun) -> list[ScenarioTestCase]:
    cases = ScenarioTestCase.objects.filter(scenario_id=run.scenario_version.scenario_id).select_related(
        "scenario"
    )
    if run.case_names:
        return list(cases.filter(name__in=run.case_names))
    return list(cases.filter(enabled=True))


def scenario_test_run_execute(*, run_id: int) -> ScenarioTestRun:
    """queued → running → passed | failed | error. Claimed by a conditional update, so a task
    delivered twice (acks_late) runs the cases once."""
    if not ScenarioTestRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    ):
        raise InvalidTransition(f"Test run {run_id} is not queued.", code="invalid_transition")
    run = ScenarioTestRun.objects.select_related("scenario_version__scenario").get(pk=run_id)
    counts = {"passed": 0, "failed": 0, "errors": 0}
    try:
        client = _test_client()
        for case in _cases_of(run):
            report = play_case(case, version=run.scenario_version, client=client)
            ScenarioTestResult.objects.create(run=run, case=case, **report)
            counts["errors" if report["error"] else "passed" if report["passed"] else "failed"] += 1
        status, error = (
            (RunStatus.PASSED if counts["passed"] == sum(counts.values()) else RunStatus.FAILED),
            "",
        )
    except Exception as exc:  # the run must end, whatever broke; the reason is kept on it
        status, error = RunStatus.ERROR, f"{type(exc).__name__}: {exc}"
    ScenarioTestRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=status, finished_at=timezone.now(), total=sum(counts.values()), error=error, **counts
    )
    run.refresh_from_db()
    return run


def _test_client() -> ApiClient:
    """The internal client the cases talk as, trusted to assert identity (a case may start with a
    verified customer). Its key is never shown: nothing calls the API with it."""
    from aftersales.services.access import api_client_create

    client = ApiClient.objects.filter(name=TEST_CLIENT).first()
    if client is None:
        codes = list(Region.objects.values_list("code", flat=True))
        client, _key = api_client_create(
            actor=None, name=TEST_CLIENT, region_codes=codes, may_assert_identity=True
        )
    return client


# ----------------------------------------------------------------------------- one case


def _apply_patch(patch: dict) -> None:
    """The case's starting state. A direct UPDATE on purpose: this is fixture setup inside the
    case's rolled-back transaction, not a business write, and must not leave events behind."""
    for kind, records in patch.items():
        model = PATCH_MODELS[kind]
        columns = {f.name: f for f in model._meta.concrete_fields if not f.primary_key}
        for pk, fields in records.items():
            unknown = sorted(set(fields) - set(columns))
            if unknown:
                raise ValidationFailed(f"fixture patch: {kind} has no field {', '.join(unknown)}.")
            if not model.objects.filter(pk=pk).update(**fields):
                raise NotFound(f"fixture patch: no {kind} {pk!r} in the marketplace.")


def _with_times(evidence: list[dict] | None, now) -> list[dict] | None:
    def at(value):
        match = RELATIVE_TIME.match(value) if isinstance(value, str) else None
        if match is None:
            return value
        offset = timedelta(**{UNITS[match[2]]: int(match[1])}) if match[1] else timedelta()
        return (now + offset).isoformat().replace("+00:00", "Z")

    return [{key: at(value) for key, value in item.items()} for item in evidence] if evidence else None


def _lookup(kind: str, pk: str) -> Any:
    model, as_json = LOOKUPS[kind]
    record = model.objects.filter(pk=pk).first()
    return as_json(record) if record is not None else None


def _changes(before: dict, after: dict) -> list[str]:
    return [
        f"{section} {key}"
        for section in ("users", "orders", "products")
        for key in sorted(set(before[section]) | set(after[section]))
        if before[section].get(key) != after[section].get(key)
    ]


def _calls(conversation_id, after_seq: int) -> list[dict]:
    return list(
        ToolCall.objects.filter(conversation_id=conversation_id, seq__gt=after_seq)
        .order_by("seq")
        .values("seq", "name", "arguments", "status", "code", "rule", "message")
    )


def _pin(conversation: Conversation, version: ScenarioVersion) -> None:
    """Route straight to ``version``, skipping identification: the flow is active from turn one."""
    conversation.scenario_version = version
    conversation.state = {**conversation.state, "flow": initial_state(), "confidence": 1.0}
    Conversation.objects.filter(pk=conversation.pk).update(scenario_version=version, state=conversation.state)


def _pinned_version(definition: dict, version: ScenarioVersion | None) -> ScenarioVersion | None:
    key = definition.get("scenario")
    if not key:
        return None
    if version is not None and version.scenario.key == key:
        return version
    pinned = (
        ScenarioVersion.objects.filter(scenario__key=key, status=ScenarioVersion.Status.RELEASED)
        .select_related("scenario")
        .order_by("-number")
        .first()
    )
    if pinned is None:
        raise NotFound(f"Scenario {key!r} has no released version to pin.")
    return pinned


def _play(definition: dict, version: ScenarioVersion | None, client: ApiClient) -> dict:
    """Plays the conversation and checks every assertion; runs inside the case's transaction."""
    _apply_patch((definition.get("fixture") or {}).get("patch") or {})
    final = definition.get("expect") or {}
    before = marketplace_export() if final.get("marketplace_unchanged") else None
    conversation = conversation_open(
        actor=client,
        region=Region.objects.get(pk=definition["region"]),
        channel=definition.get("channel", "chat"),
        customer_id=definition.get("customer_id"),
    )
    pinned = _pinned_version(definition, version)
    if pinned is not None:
        _pin(conversation, pinned)
    transcript, failures, seen, now = [], [], 0, timezone.now()
    for number, turn in enumerate(definition["turns"], start=1):
        conversation.refresh_from_db()
        if not conversation.is_open:
            failures.append(
                {
                    "where": f"turn {number}",
                    "assertion": "conversation open",
                    "expected": turn["user"],
                    "actual": f"the conversation ended ({conversation.outcome}) before this message",
                }
            )
            break
        last = conversation_message(
            conversation=conversation, text=turn["user"], evidence=_with_times(turn.get("evidence"), now)
        )
        calls = _calls(conversation.pk, seen)
        seen = calls[-1]["seq"] if calls else seen
        observed = {**last.as_dict(), "slots": last.state.get("slots"), "tool_calls": calls}
        transcript.append(
            {"user": turn["user"], "bot": last.reply, "scenario": last.scenario, "actions": calls}
        )
        failures += check(turn.get("expect") or {}, observed, where=f"turn {number}", lookup=_lookup)
    conversation.refresh_from_db()
    observed = {
        "scenario": conversation.scenario_version.scenario.key if conversation.scenario_version else None,
        "slots": (conversation.state.get("flow") or {}).get("slots"),
        "reply": "\n".join(t["bot"] for t in transcript),
        "tool_calls": _calls(conversation.pk, 0),
        "handoff": (
            {"queue": conversation.handoff_queue, "summary": conversation.handoff_summary}
            if conversation.outcome == Conversation.Outcome.HANDED_OFF
            else None
        ),
        "ended": not conversation.is_open,
        "outcome": conversation.outcome,
        "marketplace_changed": _changes(before, marketplace_export()) if before is not None else [],
    }
    failures += check(final, observed, where="end", lookup=_lookup)
    return {"failures": failures, "conversation_id": conversation.pk, "transcript": transcript}


def play_case(case: ScenarioTestCase, *, version: ScenarioVersion | None, client: ApiClient) -> dict:
    """One case, rolled back: the fields of its ScenarioTestResult (without run and case)."""
    started = time.perf_counter()
    report: dict = {"failures": [], "conversation_id": None, "transcript": [], "error": ""}
    try:
        with transaction.atomic():
            try:
                report.update(_play(case.definition, version, client))
            except Exception as exc:  # a broken case is an error result, never a broken run
                report["error"] = f"{type(exc).__name__}: {exc}"
            raise _RollBack
    except _RollBack:
        pass
    report["passed"] = not report["failures"] and not report["error"]
    report["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
    return report


def scenario_test_versions(*, scenario_key: str | None = None, number: int | None = None) -> list:
    """The versions a command-line run tests: the newest released version of each scenario with
    cases (or of ``scenario_key``), or version ``number`` of ``scenario_key``."""
    scenarios = Scenario.objects.filter(test_cases__isnull=False).distinct().order_by("key")
    if scenario_key:
        scenarios = Scenario.objects.filter(key=scenario_key)
        if not scenarios.exists():
            raise NotFound(f"No scenario {scenario_key!r}.")
    versions = []
    for scenario in scenarios:
        candidates = scenario.versions.select_related("scenario")
        if number is not None:
            version = candidates.filter(number=number).first()
        else:
            newest = candidates.filter(status=ScenarioVersion.Status.RELEASED).aggregate(n=Max("number"))["n"]
            version = candidates.filter(number=newest).first() if newest else None
        if version is None:
            raise NotFound(
                f"Scenario {scenario.key!r} has no {f'version {number}' if number else 'released version'}."
            )
        versions.append(version)
    return versions
