"""Agent turns: the agent loop (`scenarios/engine/agent.py`) wired to the configured LLM, the gateway,
the yes/no extractor and the region's SOPs; and the turn claim that keeps the LLM out of row locks.

A flow turn runs inside the conversation's row lock. An agent turn cannot: its LLM calls may take
their whole timeouts. So the turn service takes the lock twice, briefly — once to claim the turn
(`turn_claim`, in `Conversation.state["turn_claim"]`) and save the state it starts from, once to
write the outcome and release the claim — and runs the loop in between with no lock held. A second
message arriving while a turn is claimed is refused with 409 ``turn_in_progress`` rather than
interleaved. A claim older than `TURN_CLAIM_SECONDS` (far beyond the turn's time budget plus one
LLM call's timeouts) belongs to a crashed worker and is taken over.
"""

from __future__ import annotations

import json
import time
import uuid

from aftersales.marketplace.tools import TOOLS
from aftersales.selectors.sops import sop_parameters, sop_resolved
from config.errors import Conflict, NotFound
from scenarios.engine import agent
from scenarios.engine.runner import TurnOutcome
from scenarios.engine.slots import SlotContext, extract
from scenarios.llm.client import MalformedOutput, complete_json
from scenarios.models import Conversation, ScenarioClause, ScenarioVersion
from scenarios.selectors import default_model_configuration
from scenarios.services.conversations import DEFAULT_HANDOFF_QUEUE
from scenarios.services.gateway import CUSTOMER_ARGUMENTS, HANDOFF_SOP, WRITE_SOPS

PURPOSE = "agent"
TURN_SECONDS = agent.TURN_SECONDS  # the whole turn; each LLM call also has its configuration's timeout
TURN_CLAIM_SECONDS = 300.0
MAX_REPLY = 2000
AUTHENTICATION_SOP = "authentication"
# Used only when the agent has no tools: the reply then comes as JSON (complete_json asks for a schema).
REPLY_SCHEMA = {
    "type": "object",
    "properties": {"reply": {"type": "string"}},
    "required": ["reply"],
    "additionalProperties": False,
}


# ------------------------------------------------------------------------------ the turn claim


def turn_refuse_if_claimed(conversation: Conversation) -> None:
    """Call under the conversation's row lock, before anything else of a turn."""
    claim = conversation.state.get("turn_claim")
    if claim and time.time() - claim["at"] < TURN_CLAIM_SECONDS:
        raise Conflict(
            "The previous message of this conversation is still being answered: send this one after it.",
            code="turn_in_progress",
            details={"turn": claim["index"]},
        )


def turn_claim(conversation: Conversation, index: int) -> str:
    """Mark turn `index` as running (the caller saves the state under its row lock)."""
    token = uuid.uuid4().hex
    conversation.state["turn_claim"] = {"index": index, "token": token, "at": time.time()}
    return token


def turn_release(conversation: Conversation, token: str) -> None:
    """Under the row lock again: the claim must still be ours (not taken over as abandoned)."""
    claim = conversation.state.pop("turn_claim", None)
    if not claim or claim["token"] != token:
        raise Conflict(
            "This turn took too long and was taken over by a later message.", code="turn_superseded"
        )


# ------------------------------------------------------------------------------- the wiring


def agent_tools(version: ScenarioVersion) -> dict:
    return {name: TOOLS[name] for name in version.allowed_tools if name in TOOLS}


def agent_sop_keys(version: ScenarioVersion, tools: dict) -> list[str]:
    """The SOPs the agent is told: the version's own, those its scenario cites, those bounding its
    writes, and the authentication SOP when it touches customer data (the guard enforces them all)."""
    definition = version.definition if isinstance(version.definition, dict) else {}
    keys = [definition.get("sop"), *(definition.get("sops") or [])]
    keys += ScenarioClause.objects.filter(scenario_id=version.scenario_id).values_list("sop__key", flat=True)
    keys += [WRITE_SOPS.get(name) for name in tools]
    if any(arg in spec.parameters["properties"] for spec in tools.values() for arg in CUSTOMER_ARGUMENTS):
        keys.append(AUTHENTICATION_SOP)
    return [key for key in dict.fromkeys(keys) if isinstance(key, str) and key]


def agent_sops(version: ScenarioVersion, region_code: str, tools: dict) -> list[dict]:
    sops = []
    for key in agent_sop_keys(version, tools):
        try:
            resolved = sop_resolved(sop_key=key, region_code=region_code)
        except NotFound:
            continue  # not published here: the guard refuses its writes (sop.not_published)
        sops.append({"key": resolved.key, "title": resolved.title, "clauses": resolved.clauses})
    return sops


def handoff_queue(region_code: str) -> str:
    try:
        queue = sop_parameters(sop_key=HANDOFF_SOP, region_code=region_code).get("handoff_queue")
    except NotFound:
        queue = None
    return str(queue or DEFAULT_HANDOFF_QUEUE)


def parse_agent_message(message, schema: dict) -> dict:
    """The output contract: one tool call whose arguments are a JSON object, or a non-empty reply."""
    calls = getattr(message, "tool_calls", None) or []
    if len(calls) > 1:
        raise MalformedOutput(f"one tool call per step, got {len(calls)}")
    if calls:
        name, raw = calls[0].function.name, calls[0].function.arguments or "{}"
        try:
            arguments = json.loads(raw)
        except (TypeError, json.JSONDecodeError) as exc:
            raise MalformedOutput(f"the arguments of {name} are not JSON: {str(raw)[:200]!r}") from exc
        if not isinstance(arguments, dict):
            raise MalformedOutput(f"the arguments of {name} are not a JSON object")
        return {"tool": name, "arguments": arguments}
    content = (message.content or "").strip()
    try:
        wrapped = json.loads(content)
    except json.JSONDecodeError:
        wrapped = None
    if isinstance(wrapped, dict) and isinstance(wrapped.get("reply"), str):
        content = wrapped["reply"].strip()
    if not content:
        raise MalformedOutput("neither a tool call nor a reply")
    return {"reply": content[:MAX_REPLY]}


def agent_complete(configuration):
    def complete(messages: list[dict], tools: list[dict]) -> agent.ModelStep:
        result = complete_json(
            configuration=configuration,
            purpose=PURPOSE,
            messages=messages,
            schema=REPLY_SCHEMA,
            schema_name="reply",
            tools=tools or None,
            parse=parse_agent_message,
        )
        if not result.ok:
            return agent.ModelStep(
                result.outcome, llm_call=result.call.pk, error=result.call.error_message[:300]
            )
        data = result.data
        return agent.ModelStep(
            "ok",
            tool=data.get("tool"),
            arguments=data.get("arguments"),
            reply=data.get("reply", ""),
            llm_call=result.call.pk,
        )

    return complete


def explicit_yes(text: str) -> bool | None:
    answer = extract("yes_no", text, context=SlotContext())
    return answer.value if answer.status == "filled" else None


def agent_turn_run(
    *, conversation: Conversation, version: ScenarioVersion, text: str, call_tool
) -> TurnOutcome:
    """One agent turn. Call it with NO row lock held: it calls the LLM (and the gateway, which
    takes the conversation's lock for each tool call on its own)."""
    tools = agent_tools(version)
    env = agent.AgentEnvironment(
        complete=agent_complete(default_model_configuration()),
        call_tool=call_tool,
        confirm=explicit_yes,
        instructions=version.instructions,
        sops=agent_sops(version, conversation.region_id, tools),
        tools=tools,
        handoff_queue=handoff_queue(conversation.region_id),
        turn_seconds=TURN_SECONDS,
    )
    return agent.run_agent_turn(conversation.state.get("agent"), text, env)
