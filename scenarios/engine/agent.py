"""One turn of an agent scenario version: the LLM proposes, the policy guard disposes.

The model gets a system prompt (the scenario's instructions and the resolved SOP clauses), its
allowed tools as OpenAI tool definitions and the conversation so far, and answers with ONE tool call
or ONE reply per step. A tool call goes through `AgentEnvironment.call_tool` (the gateway) and its
result — or its denial, with code, rule and message — is fed back; a reply ends the turn. At most
`MAX_STEPS_PER_TURN` steps, within `AgentEnvironment.turn_seconds`.

Confirmation never comes from the model. A write it calls goes to the gateway unconfirmed; the
guard's ``confirm.required`` denial makes it the *pending* action, and the runtime itself appends the
exact action to the reply and asks. Only an explicit yes (the `yes_no` extractor) in the customer's
NEXT message executes exactly those arguments with ``confirmed=true``; anything else drops it.

Everything else hands the conversation to a person through the gateway's `transfer_to_human_agents`:
a failed LLM call (any failure class), the output contract broken (a tool not allowed, arguments not
JSON), the same tool call twice in one turn (a loop), the step budget or the turn's time exhausted.

Pure over its inputs, like the flow runner: the LLM, the gateway and the extractor are callables.

The state (JSON, kept in `Conversation.state["agent"]`):
    messages  the conversation so far in OpenAI's shape (user, assistant, tool), the newest kept
    pending   the write awaiting the customer's yes: {tool, arguments}, or None
    step, waiting, slots   what the public turn state shows (as for a flow)
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scenarios.engine.runner import StepTrace, ToolOutcome, TurnOutcome

MAX_STEPS_PER_TURN = 6
TURN_SECONDS = 60.0
MAX_MESSAGES = 40  # history sent back to the model: the newest, starting at a customer message
MAX_TEXT = 2000
MAX_TOOL_RESULT_CHARS = 4000
MAX_PROMPT_SOP_CHARS = 12000
CONFIRM_REQUIRED = "confirm.required"
HANDOFF_TOOL = "transfer_to_human_agents"
HANDOFF_REPLY = "Sorry, I cannot finish this automatically. Let me bring in a colleague who can help you."
DENIED_REPLY = "I could not do that: {message}"
CONFIRM_REPLY = "To confirm, I will run: {action}. Shall I go ahead (yes/no)?"
NOT_EXECUTED = {
    "declined": "The customer said no: nothing was done.",
    "unclear": "The customer did not answer yes: nothing was done. Ask again if they still want it.",
}
PROPOSED = (
    "Not executed yet. Describe this exact action to the customer and ask them to confirm it; "
    "it runs only if their next message is an explicit yes."
)


@dataclass
class ModelStep:
    """What one LLM call proposed: a tool call, a reply, or a failure (`outcome` is not "ok")."""

    outcome: str
    tool: str | None = None
    arguments: Any = None
    reply: str = ""
    llm_call: int | None = None
    error: str = ""


@dataclass
class AgentEnvironment:
    """`complete(messages, tools) -> ModelStep` is the LLM; `call_tool(name, arguments, confirmed=,
    idempotency_key=) -> ToolOutcome` the gateway; `confirm(text) -> True | False | None` reads an
    explicit yes / no (None: neither)."""

    complete: Callable[[list[dict], list[dict]], ModelStep]
    call_tool: Callable[..., ToolOutcome]
    confirm: Callable[[str], bool | None]
    instructions: str = ""
    sops: list[dict] = field(default_factory=list)  # [{key, title, clauses: [{id, title, text}]}]
    tools: Mapping[str, Any] = field(
        default_factory=dict
    )  # name → spec (name, kind, description, parameters)
    handoff_queue: str = "general"
    turn_seconds: float = TURN_SECONDS
    key_prefix: str = "agent"
    clock: Callable[[], float] = time.monotonic


def initial_state() -> dict:
    return {"messages": [], "pending": None, "step": None, "waiting": False, "slots": {}}


def tool_definitions(tools: Mapping[str, Any]) -> list[dict]:
    """The allowed tools in OpenAI's function-calling shape, from the registry's specs."""
    return [
        {
            "type": "function",
            "function": {"name": spec.name, "description": spec.description, "parameters": spec.parameters},
        }
        for spec in tools.values()
    ]


def system_prompt(instructions: str, sops: list[dict]) -> str:
    clauses = "\n\n".join(
        f"## {sop['title']} ({sop['key']})\n"
        + "\n".join(f"- {c['id']} {c['title']}: {c['text']}" for c in sop["clauses"])
        for sop in sops
    )[:MAX_PROMPT_SOP_CHARS]
    return (
        "You are the customer-service agent of an online marketplace. Follow the instructions and the "
        "SOP clauses below; they override anything the customer asks. Per step, either call ONE of "
        "your tools or write ONE reply to the customer. Every tool call is checked by a policy guard: "
        "a denied call comes back with its code, rule and message — explain it to the customer, never "
        "retry it unchanged. Writes run only after the customer confirms them: call the write, then "
        "ask the customer to confirm exactly that action.\n\n"
        f"# Instructions\n{instructions.strip()}\n\n# SOP clauses\n{clauses or '(none published)'}"
    )


def describe(tool: str, arguments: dict) -> str:
    listed = ", ".join(f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in arguments.items())
    return f"{tool}({listed})"


def _signature(tool: str, arguments: Any) -> str:
    return json.dumps([tool, arguments], sort_keys=True, default=str)


def _tool_message(call_id: str, payload: dict) -> dict:
    content = json.dumps(payload, ensure_ascii=False, default=str)
    if len(content) > MAX_TOOL_RESULT_CHARS:
        content = content[:MAX_TOOL_RESULT_CHARS] + " …(truncated)"
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def _call_message(call_id: str, tool: str, arguments: Any) -> dict:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": tool, "arguments": json.dumps(arguments, default=str)},
            }
        ],
    }


def _trimmed(messages: list[dict]) -> list[dict]:
    """The newest messages, cut at a customer message: a tool result without its call is refused."""
    if len(messages) <= MAX_MESSAGES:
        return messages
    tail = messages[-MAX_MESSAGES:]
    starts = [i for i, m in enumerate(tail) if m["role"] == "user"]
    return tail[starts[0] :] if starts else tail[-1:]


class _AgentTurn:
    def __init__(self, state: dict, text: str, env: AgentEnvironment):
        self.state = copy.deepcopy(state) if state else initial_state()
        for key, value in initial_state().items():
            self.state.setdefault(key, value)
        self.text = text[:MAX_TEXT]
        self.env = env
        self.out = TurnOutcome(state=self.state)
        self.denials: list[str] = []
        self.started = env.clock()

    # --- recording -----------------------------------------------------------------------------

    def trace(self, step: str, type_: str, detail: dict, started: float) -> None:
        duration = round((self.env.clock() - started) * 1000, 3)
        self.out.steps.append(StepTrace(step, type_, "", detail, duration))

    def call(self, name: str, arguments: dict, **kwargs) -> ToolOutcome:
        outcome = self.env.call_tool(name, arguments, **kwargs)
        self.out.actions.append({"name": name, "arguments": arguments, "status": outcome.status})
        return outcome

    @staticmethod
    def outcome_detail(outcome: ToolOutcome) -> dict:
        if outcome.status == "executed":
            return {"status": "executed"}
        return {
            "status": outcome.status,
            "code": outcome.code,
            "rule": outcome.rule,
            "message": outcome.message,
        }

    # --- the pending write ---------------------------------------------------------------------

    def settle_pending(self) -> None:
        """The customer's answer to the action asked last turn: yes runs it, anything else drops it."""
        pending, self.state["pending"] = self.state["pending"], None
        if not pending:
            return
        started = self.env.clock()
        answer = self.env.confirm(self.text)
        call_id = f"confirmed_{len(self.state['messages'])}"
        detail = {"tool": pending["tool"], "arguments": pending["arguments"]}
        self.state["messages"].append(_call_message(call_id, pending["tool"], pending["arguments"]))
        if answer is True:
            outcome = self.call(
                pending["tool"],
                pending["arguments"],
                confirmed=True,
                idempotency_key=f"{self.env.key_prefix}:confirmed",
            )
            payload = self.outcome_detail(outcome)
            if outcome.status == "executed":
                payload["result"] = outcome.result
            else:
                self.denials.append(outcome.message)
            detail.update(answer="yes", **self.outcome_detail(outcome))
        else:
            status = "declined" if answer is False else "unclear"
            payload = {"status": "not_executed", "message": NOT_EXECUTED[status]}
            detail.update(answer="no" if answer is False else "unclear", status="not_executed")
        self.state["messages"].append(_tool_message(call_id, payload))
        self.trace("confirm", "confirm", detail, started)

    # --- ending --------------------------------------------------------------------------------

    def hand_off(self, reason: str, detail: dict, started: float):
        summary = f"The agent stopped ({reason}). The customer wrote: {self.text[:300]}"
        transfer = self.call(HANDOFF_TOOL, {"summary": summary})
        detail.update(reason=reason, summary=summary, transfer=transfer.status)
        self.trace(f"step_{len(self.out.steps) + 1}", "handoff", detail, started)
        return self.handed_off(summary)

    def handed_off(self, summary: str) -> TurnOutcome:
        self.out.replies = [HANDOFF_REPLY]
        self.out.handoff = {"queue": self.env.handoff_queue, "summary": summary}
        self.out.ended, self.out.outcome = True, "handed_off"
        self.state.update(pending=None, step=None, waiting=False)
        return self.out

    def finish(self, reply: str) -> TurnOutcome:
        """The model's reply, plus what the runtime must say itself: why a call was refused (the
        model may not say it, or say otherwise) and the exact action a yes would run."""
        self.state["messages"].append({"role": "assistant", "content": reply})
        parts = [reply]
        parts += [DENIED_REPLY.format(message=m) for m in dict.fromkeys(self.denials) if m not in reply]
        pending = self.state["pending"]
        if pending:
            parts.append(CONFIRM_REPLY.format(action=describe(pending["tool"], pending["arguments"])))
        self.out.replies = parts
        self.state.update(step="confirm" if pending else "agent", waiting=True)
        return self.out

    # --- the loop ------------------------------------------------------------------------------

    def run(self) -> TurnOutcome:
        self.state["messages"].append({"role": "user", "content": self.text})
        self.settle_pending()
        definitions = tool_definitions(self.env.tools)
        system = {"role": "system", "content": system_prompt(self.env.instructions, self.env.sops)}
        seen: set[str] = set()
        for number in range(1, MAX_STEPS_PER_TURN + 1):
            started = self.env.clock()
            if started - self.started > self.env.turn_seconds:
                return self.hand_off("turn_timeout", {"seconds": self.env.turn_seconds}, started)
            self.state["messages"] = _trimmed(self.state["messages"])
            model = self.env.complete([system, *self.state["messages"]], definitions)
            detail: dict = {"llm_call": model.llm_call, "llm_outcome": model.outcome}
            if model.outcome != "ok":
                return self.hand_off(f"llm_{model.outcome}", {**detail, "error": model.error}, started)
            if model.tool is None:
                self.trace(f"step_{number}", "reply", {**detail, "text": model.reply}, started)
                return self.finish(model.reply)
            detail.update(tool=model.tool, arguments=model.arguments)
            if model.tool not in self.env.tools:
                return self.hand_off("unknown_tool", detail, started)
            signature = _signature(model.tool, model.arguments)
            if signature in seen:
                return self.hand_off("loop", detail, started)
            seen.add(signature)
            self.run_tool(number, model, detail, started)
            if self.out.ended:
                return self.out
        return self.hand_off("step_budget", {"steps": MAX_STEPS_PER_TURN}, self.env.clock())

    def run_tool(self, number: int, model: ModelStep, detail: dict, started: float) -> None:
        spec = self.env.tools[model.tool]
        write = spec.kind == "write"
        # The model never confirms: a write goes unconfirmed, and the guard's denial makes it pending.
        outcome = self.call(
            model.tool,
            model.arguments,
            confirmed=False,
            idempotency_key=f"{self.env.key_prefix}:{number}" if write else None,
        )
        detail.update(self.outcome_detail(outcome))
        payload = self.outcome_detail(outcome)
        if outcome.status == "executed":
            payload["result"] = outcome.result
        elif write and outcome.rule == CONFIRM_REQUIRED:
            self.state["pending"] = {"tool": model.tool, "arguments": model.arguments}
            payload = {"status": "awaiting_confirmation", "message": PROPOSED}
            detail["status"] = "proposed"
        else:
            self.denials.append(outcome.message)
        # Our own ids, unique in the kept history (models reuse theirs, e.g. "call_1" every time).
        call_id = f"call_{len(self.state['messages'])}"
        self.state["messages"].append(_call_message(call_id, model.tool, model.arguments))
        self.state["messages"].append(_tool_message(call_id, payload))
        self.trace(f"step_{number}", "tool", detail, started)
        if outcome.status == "executed" and spec.kind == "handoff":
            self.handed_off(str(model.arguments.get("summary", "")))


def run_agent_turn(state: dict | None, text: str, env: AgentEnvironment) -> TurnOutcome:
    """Run the agent one turn for the customer's `text`; never raises for what the model does."""
    return _AgentTurn(state or {}, text, env).run()
