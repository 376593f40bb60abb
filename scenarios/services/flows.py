"""Scenario versions (create, edit a draft, release, retire) and the turn service that runs a
conversation's flow one message at a time.

A released version is immutable: every write here refuses a non-draft, and an edit is a new draft.
The turn service identifies the scenario BEFORE taking the conversation's row lock (the LLM
identifier may take its whole timeout), then serialises the turn on that lock: two messages of one
conversation never run the flow at the same time."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, fields
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from aftersales.marketplace.tools import TOOLS
from aftersales.models import Sop
from config.batch import WriteBatch
from config.errors import DomainError, InvalidTransition, NotFound, ValidationFailed
from config.rows import row_reader
from scenarios.engine import routing
from scenarios.engine.agent import initial_state as agent_initial_state
from scenarios.engine.runner import (
    FlowEnvironment,
    LazyParams,
    ToolOutcome,
    TurnOutcome,
    initial_state,
    run_turn,
)
from scenarios.engine.validate import FlowError, validate_definition
from scenarios.flows.selectors import (
    ReleasedVersions,
    flow_clause_ids,
    routing_rules_for,
    scenario_version_cached,
    sop_clause_ids,
)
from scenarios.identification.providers import IdentificationResult, identify
from scenarios.models import Conversation, Scenario, ScenarioClause, ScenarioVersion, Turn
from scenarios.services.agent import agent_turn_run, turn_claim, turn_refuse_if_claimed, turn_release
from scenarios.services.conversations import conversation_end, conversation_hand_off, conversation_requeue
from scenarios.services.gateway import VERIFYING_TOOLS, gateway_call
from scenarios.sop_parameters import sop_parameters_in_force as sop_parameters
from scenarios.trace import conversation_for_regions, conversation_where

Status = ScenarioVersion.Status
MAX_CLARIFICATIONS = 2  # clarifying questions before a person takes over
MAX_EVIDENCE = 20
CLARIFY_REPLY = (
    "Sorry, I am not sure what you need. Could you say it in other words? For example: cancel an "
    "order, return or exchange items, where is my order, or a problem with a delivery."
)
HANDOFF_REPLY = "I am passing you to a colleague who will take it from here."


# ------------------------------------------------------------------------------- versions


def flow_errors(definition: Any) -> list[FlowError]:
    """Every validation error of a flow definition, the clauses it may cite looked up."""
    sop_key = definition.get("sop") if isinstance(definition, dict) else None
    clauses = None
    errors: list[FlowError] = []
    if isinstance(sop_key, str) and sop_key:
        if sop_clause_ids(sop_key) is None:
            errors.append(FlowError(None, "unknown_sop", f"no SOP {sop_key!r}"))
        else:
            steps = definition.get("steps") if isinstance(definition.get("steps"), dict) else {}
            cited = {str(s.get("clause")) for s in steps.values() if isinstance(s, dict) and s.get("clause")}
            clauses = flow_clause_ids(sop_key, cited)
    return errors + validate_definition(definition, tools=TOOLS, sop_clauses=clauses)


def agent_errors(allowed_tools: Any) -> list[FlowError]:
    if not isinstance(allowed_tools, list) or not all(isinstance(t, str) for t in allowed_tools):
        return [FlowError(None, "invalid_definition", "allowed_tools is a list of tool names")]
    return [
        FlowError(None, "unknown_tool", f"tool {t!r} is not in the tool registry")
        for t in allowed_tools
        if t not in TOOLS
    ]


def content_hash(kind: str, definition, instructions: str, allowed_tools) -> str:
    canonical = json.dumps(
        {
            "kind": kind,
            "definition": definition,
            "instructions": instructions,
            "allowed_tools": allowed_tools,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _require_valid(version: ScenarioVersion) -> None:
    if version.kind == ScenarioVersion.Kind.FLOW:
        errors = flow_errors(version.definition)
    else:
        errors = agent_errors(version.allowed_tools)
    if errors:
        raise ValidationFailed(
            f"The {version.kind} has {len(errors)} error(s): {errors[0]}",
            code="invalid_flow",
            details={"errors": [e.as_dict() for e in errors]},
        )


@transaction.atomic
def scenario_version_create(
    *,
    actor,
    scenario: Scenario,
    kind: str = ScenarioVersion.Kind.FLOW,
    definition: dict | None = None,
    instructions: str = "",
    allowed_tools: list | None = None,
    change_summary: str = "",
) -> ScenarioVersion:
    """A new draft, numbered after the newest version. Refused when the definition is invalid."""
    Scenario.objects.select_for_update().filter(pk=scenario.pk).first()  # numbers are taken in turn
    number = (scenario.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    definition, allowed_tools = definition or {}, allowed_tools or []
    version = ScenarioVersion(
        scenario=scenario,
        number=number,
        kind=kind,
        definition=definition,
        instructions=instructions,
        allowed_tools=allowed_tools,
        change_summary=change_summary,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        content_hash=content_hash(kind, definition, instructions, allowed_tools),
    )
    version.full_clean()
    _require_valid(version)
    version.save()
    return version


@transaction.atomic
def scenario_version_update(
    *,
    actor,
    version: ScenarioVersion,
    definition=None,
    instructions=None,
    allowed_tools=None,
    change_summary=None,
) -> ScenarioVersion:
    """Edit a draft. A released or retired version is immutable: create a new draft instead."""
    locked = ScenarioVersion.objects.select_for_update().get(pk=version.pk)
    if not locked.is_draft:
        raise InvalidTransition(
            f"{locked} is {locked.status} and immutable: create a new draft to change it.",
            code="scenario_version_immutable",
        )
    for name, value in (
        ("definition", definition),
        ("instructions", instructions),
        ("allowed_tools", allowed_tools),
        ("change_summary", change_summary),
    ):
        if value is not None:
            setattr(locked, name, value)
    locked.content_hash = content_hash(
        locked.kind, locked.definition, locked.instructions, locked.allowed_tools
    )
    locked.full_clean()
    _require_valid(locked)
    locked.save(
        update_fields=["definition", "instructions", "allowed_tools", "change_summary", "content_hash"]
    )
    return locked


def _sync_citations(version: ScenarioVersion) -> None:
    sop = Sop.objects.filter(key=version.sop_key).first() if version.sop_key else None
    if sop is None:
        return
    cited = {s.get("clause") for s in version.definition.get("steps", {}).values() if s.get("clause")}
    ScenarioClause.objects.filter(scenario=version.scenario, sop=sop).exclude(clause_id__in=cited).delete()
    ScenarioClause.objects.bulk_create(
        [ScenarioClause(scenario=version.scenario, sop=sop, clause_id=c) for c in sorted(cited)],
        ignore_conflicts=True,
    )


@transaction.atomic
def scenario_version_release(*, actor, version: ScenarioVersion) -> ScenarioVersion:
    """draft → released: validated once more (the SOP may have changed since the last edit)."""
    _require_valid(ScenarioVersion.objects.get(pk=version.pk))
    now = timezone.now()
    if not ScenarioVersion.objects.filter(pk=version.pk, status=Status.DRAFT).update(
        status=Status.RELEASED, released_at=now
    ):
        raise InvalidTransition(f"{version} is not a draft.", code="invalid_transition")
    version.status, version.released_at = Status.RELEASED, now
    if version.kind == ScenarioVersion.Kind.FLOW:
        _sync_citations(version)
    return version


@transaction.atomic
def scenario_version_retire(*, actor, version: ScenarioVersion) -> ScenarioVersion:
    now = timezone.now()
    if not ScenarioVersion.objects.filter(pk=version.pk, status=Status.RELEASED).update(
        status=Status.RETIRED, retired_at=now
    ):
        raise InvalidTransition(f"{version} is not released.", code="invalid_transition")
    version.status, version.retired_at = Status.RETIRED, now
    return version


# ---------------------------------------------------------------------------------- turns


@dataclass
class TurnResult:
    reply: str
    scenario: str | None
    confidence: float | None
    state: dict
    actions: list[dict]
    handoff: dict | None
    ended: bool

    def as_dict(self) -> dict:
        """The message endpoint's response (shallow: nothing here is changed after the turn)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


def _identify(text: str, region_code: str, provider: str) -> tuple[IdentificationResult, float]:
    started = time.perf_counter()
    try:
        result = identify(text, region_code, provider)
    except NotFound:  # no identifier trained yet: ask, never guess
        result = IdentificationResult(None, 0.0, "clarify", [], "none")
    return result, round((time.perf_counter() - started) * 1000, 3)


def _flow_active(conversation: Conversation) -> bool:
    state = conversation.state
    return conversation.scenario_version_id is not None and bool(state.get("flow") or state.get("agent"))


def _gateway(
    conversation: Conversation, turn_index: int, source: str = "flow", batch: WriteBatch | None = None
):
    def call_tool(name, arguments, *, confirmed=False, idempotency_key=None) -> ToolOutcome:
        key = f"{conversation.pk}:{turn_index}:{idempotency_key}" if idempotency_key else None
        try:
            result = gateway_call(
                conversation=conversation,
                name=name,
                arguments=arguments,
                confirmed=confirmed,
                idempotency_key=key,
                source=source,
                # A flow runs under the turn's row lock; the agent runs with no lock held.
                locked=source == "flow",
                batch=batch,
            )
        except DomainError as error:  # bad arguments rendered from slots: the flow's error branch
            return ToolOutcome("denied", None, error.code, "arguments", error.message)
        if result.status == "executed" and name in VERIFYING_TOOLS:
            # The gateway verified the customer on its own copy of the row.
            conversation.customer_id = result.result
        return ToolOutcome(result.status, result.result, result.code, result.rule, result.message)

    return call_tool


def _judge(conversation: Conversation, scenario_key: str):
    def judge(claim_type, *, slots, results, evidence) -> dict:
        from scenarios.services.evidence import evidence_judgment_create

        description = str(slots.get("description", ""))[:2000]
        claim = {"type": claim_type, "description": description}
        # The customer's own words are text evidence too.
        items = [*evidence, *([{"kind": "text", "text": description}] if description else [])]
        try:
            judgment = evidence_judgment_create(
                actor=conversation.api_client,
                region=conversation.region,
                scenario_key=scenario_key,
                order_id=str(slots.get("order_id", "")),
                claim=claim,
                evidence=items,
                judge_name="embedded",  # an LLM judge would run inside the turn's row lock
                customer_id=conversation.customer_id or "",  # the verified customer's orders, any region
            )
        except (NotFound, ValidationError) as error:
            # No order, or nothing to judge: a person looks, the flow's default branch.
            message = getattr(error, "message", None) or "; ".join(getattr(error, "messages", [str(error)]))
            return {"verdict": "needs_human", "confidence": 0.0, "rationale": message, "missing": []}
        return {
            "verdict": judgment.verdict,
            "confidence": judgment.confidence,
            "rationale": judgment.rationale,
            "missing": judgment.missing,
            "wait_until": _wait_until(judgment.checklist),
            "id": judgment.pk,
        }

    return judge


def _wait_until(checklist: list) -> str | None:
    """The date a too-early claim may be made again, from the judge's structured checklist (None: the
    claim is not too early, or the judge did not check it)."""
    from scenarios.evidence.judge import WAIT_AFTER_ETA

    for item in checklist or []:
        if isinstance(item, dict) and item.get("code") == WAIT_AFTER_ETA and item.get("met") is False:
            return item.get("until")
    return None


def _params(sop_key: str, region_code: str) -> dict:
    if not sop_key:
        return {}
    try:
        return sop_parameters(sop_key=sop_key, region_code=region_code)
    except NotFound:
        return {}


def _run_flow(
    conversation: Conversation, version: ScenarioVersion, text: str, index: int, batch: WriteBatch
) -> TurnOutcome:
    env = FlowEnvironment(
        call_tool=_gateway(conversation, index, batch=batch),
        judge=_judge(conversation, version.scenario.key),
        customer=lambda: conversation.customer_id,
        params=LazyParams(lambda: _params(version.sop_key, conversation.region_id)),
        evidence=conversation.state.get("evidence", []),
        key_prefix="flow",
    )
    # The state was read under the lock for this turn, and the outcome's state replaces it.
    state = conversation.state.get("flow") or initial_state()
    return run_turn(version.definition, state, text, env, take_state=True)


def _close(conversation: Conversation, outcome: TurnOutcome, batch: WriteBatch) -> None:
    """End the conversation as the flow ended. A hand-off's transfer call already closed it in
    the gateway (with the region's default queue): the flow's own queue is the precise one."""
    # Only a transfer call can have closed it since the turn locked it open.
    transferred = any(action["name"] == "transfer_to_human_agents" for action in outcome.actions)
    current = (
        Conversation.objects.values_list("status", flat=True).get(pk=conversation.pk)
        if transferred
        else Conversation.Status.OPEN
    )
    if outcome.outcome == Conversation.Outcome.HANDED_OFF:
        handoff = outcome.handoff or {"queue": "", "summary": ""}
        if current == Conversation.Status.OPEN:
            conversation_hand_off(
                conversation=conversation, queue=handoff["queue"], summary=handoff["summary"], batch=batch
            )
        elif handoff["queue"]:
            conversation_requeue(conversation=conversation, queue=handoff["queue"])
    elif current == Conversation.Status.OPEN:
        conversation_end(conversation=conversation, outcome=outcome.outcome, batch=batch)


def _without_flow(
    conversation: Conversation, chosen: routing.RouteDecision, text: str, index: int, batch: WriteBatch
) -> TurnOutcome:
    """Routing found no flow: ask to clarify, or hand off (by rule, or after too many questions)."""
    clarifications = conversation.state.get("clarifications", 0) + 1
    conversation.state["clarifications"] = clarifications
    if chosen.action != routing.HANDOFF and clarifications <= MAX_CLARIFICATIONS:
        return TurnOutcome(state={}, replies=[CLARIFY_REPLY])
    handoff = {"queue": chosen.queue or "general", "summary": f"Customer wrote: {text[:500]}"}
    arguments = {"summary": handoff["summary"]}
    call = _gateway(conversation, index, batch=batch)("transfer_to_human_agents", arguments)
    return TurnOutcome(
        state={},
        replies=[HANDOFF_REPLY],
        actions=[{"name": "transfer_to_human_agents", "arguments": arguments, "status": call.status}],
        handoff=handoff,
        ended=True,
        outcome=Conversation.Outcome.HANDED_OFF,
    )


def _public_state(conversation: Conversation, decision: str) -> dict:
    flow = conversation.state.get("flow") or conversation.state.get("agent") or {}
    return {
        "decision": decision,
        "step": flow.get("step"),
        "waiting": bool(flow.get("waiting")),
        "slots": flow.get("slots", {}),
    }


def conversation_message(
    *,
    conversation: Conversation,
    text: str,
    evidence: list | None = None,
    identifier: str = "embedded",
    region_codes=None,
) -> TurnResult:
    """One customer message: identify and route when no flow is active, run the flow (or the agent)
    one turn, record the Turn and its steps.

    ``region_codes`` (the API): ``conversation`` is only a reference by primary key to a
    conversation that must be in one of these regions (404 otherwise), read once, under the lock.
    The embedded identifier is then run under the lock too: it is local CPU work of milliseconds.
    An LLM identifier never is (it may take its whole timeout): the conversation is read first and
    the scenario identified before the lock is taken."""
    started = time.perf_counter()
    identification, identify_ms = (None, 0.0)
    if region_codes is None or identifier != "embedded":
        if region_codes is not None:
            conversation = conversation_for_regions(conversation.pk, region_codes)
        if not conversation.is_open:
            raise InvalidTransition(f"{conversation} has ended.", code="conversation_ended")
        if not _flow_active(conversation):
            identification, identify_ms = _identify(text, conversation.region_id, identifier)

    with transaction.atomic():
        conversation = _locked(conversation, region_codes)
        if not conversation.is_open:
            raise InvalidTransition(f"{conversation} has ended.", code="conversation_ended")
        turn_refuse_if_claimed(conversation)
        index = conversation.turn_count + 1  # the counter read under the lock: no MAX() over turns
        if evidence:
            conversation.state["evidence"] = (conversation.state.get("evidence", []) + list(evidence))[
                -MAX_EVIDENCE:
            ]
        if _flow_active(conversation):
            decision, version = Turn.Decision.CONTINUE, conversation.scenario_version
            scenario_key, confidence = version.scenario.key, conversation.state.get("confidence")
        else:
            if identification is None:  # not identified before the lock, or a concurrent turn ended the flow
                identification, identify_ms = _identify(text, conversation.region_id, "embedded")
            scenario_key, confidence = identification.scenario, float(identification.confidence)
            chosen = routing.route(
                routing_rules_for(conversation.region_id, conversation.channel),
                scenario_key=scenario_key,
                confidence=confidence,
                released=ReleasedVersions(),
            )
            decision, version = chosen.action, None
            if chosen.action == routing.ROUTE:
                version = scenario_version_cached(chosen.version_id)
                conversation.scenario_version = version
                fresh = agent_initial_state if version.kind == ScenarioVersion.Kind.AGENT else initial_state
                conversation.state.update({version.kind: fresh(), "confidence": confidence})
                scenario_key = version.scenario.key
        traced = {**identification.as_dict(), "duration_ms": identify_ms} if identification else {}
        record = {
            "index": index,
            "text": text,
            "version": version,
            "scenario_key": scenario_key,
            "confidence": confidence,
            "decision": decision,
            "identification": traced,
            "started": started,
        }
        if version is not None and version.kind == ScenarioVersion.Kind.AGENT:
            # No LLM call inside the row lock: claim the turn and commit; the agent runs below.
            token = turn_claim(conversation, index)
            conversation.save(update_fields=["state", "scenario_version", "updated"])
        else:
            # What the turn writes after its tool calls goes to the database in one round trip.
            batch = WriteBatch()
            if version is not None:
                outcome = _run_flow(conversation, version, text, index, batch)
                conversation.state["flow"] = outcome.state
            else:
                outcome = _without_flow(conversation, chosen, text, index, batch)
                record["decision"] = routing.HANDOFF if outcome.ended else routing.CLARIFY
            # The turn's tool calls counted their sequence numbers on this locked row in memory.
            conversation.turn_count = index
            batch.update(
                conversation, ["state", "scenario_version", "turn_count", "tool_call_count", "updated"]
            )
            return _record_turn(conversation, outcome, batch, **record)
    return _agent_turn(conversation, version, text, token, record)


def _locked(conversation: Conversation, region_codes=None) -> Conversation:
    """The conversation read under its row lock (with ``region_codes``: only if it is in one of them,
    else 404). Its scenario version comes from the per-process cache of immutable versions. The
    statement is written here and the row read with ``row_reader``: the ORM compiled the same
    statement for ~0.6 ms CPU a turn, and ``raw()`` still worked out its converters each time (~0.3)."""
    reader = row_reader(Conversation)
    where, params = conversation_where(conversation.pk, region_codes)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    table = connection.ops.quote_name(Conversation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {reader.columns()} FROM {table} WHERE {where}{lock}", params)  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        raise NotFound(f"No conversation {conversation.pk}.", code="conversation_not_found")
    found = reader.instance(row)
    if found.scenario_version_id is not None:
        found.scenario_version = scenario_version_cached(found.scenario_version_id)
    return found


def _record_turn(
    conversation: Conversation,
    outcome: TurnOutcome,
    batch: WriteBatch,
    *,
    index: int,
    text: str,
    version: ScenarioVersion | None,
    scenario_key: str | None,
    confidence: float | None,
    decision: str,
    identification: dict,
    started: float,
) -> TurnResult:
    """Under the row lock: close the conversation if the turn ended it, write the Turn with its
    steps, and send ``batch`` (these writes and whatever the turn collected before)."""
    if outcome.ended:
        _close(conversation, outcome, batch)
    state = _public_state(conversation, decision)
    turn = Turn(
        conversation=conversation,
        index=index,
        customer_text=text,
        reply=outcome.reply,
        scenario_key=scenario_key or "",
        scenario_version=version,
        confidence=confidence,
        decision=decision,
        identification=identification,
        state=state,
        actions=outcome.actions,
        handoff=outcome.handoff,
        ended=outcome.ended,
        steps=[step.as_dict() for step in outcome.steps],
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
    )
    batch.insert([turn])
    batch.flush()
    return TurnResult(
        outcome.reply, scenario_key, confidence, state, outcome.actions, outcome.handoff, outcome.ended
    )


# ---------------------------------------------------------------------------- agent turns


def _agent_turn(
    conversation: Conversation, version: ScenarioVersion, text: str, token: str, record: dict
) -> TurnResult:
    """Run the agent with no lock held (the turn is claimed), then lock again to write its outcome."""
    try:
        outcome = agent_turn_run(
            conversation=conversation,
            version=version,
            text=text,
            call_tool=_gateway(conversation, record["index"], source="agent"),
        )
    except BaseException:
        with transaction.atomic():  # never leave the conversation claimed by a turn that died
            locked = _locked(conversation)
            if (locked.state.get("turn_claim") or {}).get("token") == token:
                locked.state.pop("turn_claim")
                locked.save(update_fields=["state", "updated"])
        raise
    with transaction.atomic():
        conversation = _locked(conversation)
        turn_release(conversation, token)
        conversation.state["agent"] = outcome.state
        conversation.turn_count = record["index"]  # the claim kept every other turn out meanwhile
        batch = WriteBatch()
        batch.update(conversation, ["state", "turn_count", "updated"])
        return _record_turn(conversation, outcome, batch, **record)
