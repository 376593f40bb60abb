"""One turn of a flow: continue from the saved state, fill slots from the customer's message, run
steps until the flow must wait for the customer or ends.

Pure over its inputs: tools, the evidence judge and the slot extractors are reached through the
`FlowEnvironment` the caller builds (the turn service wires the gateway and the judgment service),
so the engine is tested without a database and cannot call a tool any other way than the gateway.

The state (JSON, kept in `Conversation.state["flow"]`):
    step      the step to run next (or waiting at), None before the first turn
    waiting   the step is waiting for the customer's answer (a collect's prompt or a confirm's)
    slots     collected values; results: stored tool results, judgments and `error`
    pending   the rendered write a confirm step listed: what the customer says yes to is what runs
    attempts  failed answers per step; visited: collect steps that have filled once
    history   the customer's last messages (a slot mentioned early fills a later collect)
    narrowing per collect step, its messages that were ambiguous until it fills (an answer narrows
              them: "black, XL or XXL", then "XL")
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scenarios.engine import expressions, templates
from scenarios.engine.schema import NAME_ZIP_SLOTS
from scenarios.engine.slots.variants import item_changes

MAX_STEPS_PER_TURN = 40
HANDOFF_REPLY = "I am passing your conversation to a colleague, who will take it from here."
MAX_ATTEMPTS = 3  # failed answers to one prompt before a person takes over
HISTORY_SIZE = 8
HISTORY_CHARS = 500
# Kinds only ever filled by the answer to their own prompt: a "yes" said earlier confirms nothing,
# and a free-text description is the answer to the question that asked for it.
INTERACTIVE_KINDS = {"yes_no", "text"}
FALLBACK_QUEUE = "general"
DEFAULT_REASONS = ("no longer needed", "ordered by mistake")
# Kinds whose extractor reads the products of the chosen items; a filled one also stores old → new
# and the price difference as `results.<kind>` for the confirmation to list.
PRODUCT_BOUND_KINDS = {"new_items"}


@dataclass
class ToolOutcome:
    status: str  # executed | denied
    result: Any = None
    code: str = ""
    rule: str = ""
    message: str = ""


class LazyParams(Mapping):
    """SOP parameters read on first use: most turns (a question asked, an answer collected, a
    status read) consult none, and reading which version is in force is a round trip."""

    def __init__(self, load: Callable[[], dict]):
        self._load, self._params = load, None

    def _loaded(self) -> dict:
        if self._params is None:
            self._params = self._load()
        return self._params

    def __getitem__(self, name):
        return self._loaded()[name]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


@dataclass
class FlowEnvironment:
    """What a turn may touch outside its state. `call_tool(name, arguments, confirmed=,
    idempotency_key=)` is the gateway; `judge(claim_type, slots=, results=, evidence=)` the evidence
    judgment; `customer()` the verified customer id now (a find_user_id_* call may verify mid-turn)."""

    call_tool: Callable[..., ToolOutcome]
    judge: Callable[..., dict] = lambda claim_type, **_: {"verdict": "needs_human", "confidence": 0.0}
    customer: Callable[[], str | None] = lambda: None
    params: Mapping = field(default_factory=dict)  # the region's SOP parameters; may be a LazyParams
    evidence: list = field(default_factory=list)
    key_prefix: str = "flow"  # idempotency keys of writes: f"{key_prefix}:{step}"
    extract: Callable[..., Any] | None = None


@dataclass
class StepTrace:
    step: str
    type: str
    clause: str
    detail: dict
    duration_ms: float

    def as_dict(self) -> dict:
        """As kept in ``Turn.steps`` and shown in the trace."""
        return {
            "step": self.step,
            "type": self.type,
            "clause": self.clause,
            "detail": self.detail,
            "duration_ms": self.duration_ms,
        }


@dataclass
class TurnOutcome:
    state: dict
    replies: list[str] = field(default_factory=list)
    steps: list[StepTrace] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    handoff: dict | None = None
    ended: bool = False
    outcome: str = ""

    @property
    def reply(self) -> str:
        return "\n\n".join(r for r in self.replies if r)


def initial_state() -> dict:
    return {
        "step": None,
        "waiting": False,
        "slots": {},
        "results": {},
        "pending": None,
        "attempts": {},
        "visited": [],
        "history": [],
        "narrowing": {},
    }


class ArgumentError(ValueError):
    pass


def _lookup(root: Any, path: str) -> Any:
    value = root
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            raise ArgumentError(f"{path!r} does not resolve")
    return value


def default_extract(kind: str, text: str, *, context) -> Any:
    from scenarios.engine import slots

    return getattr(slots, f"extract_{kind}")(text, context=context)


class _Turn:
    def __init__(self, definition: dict, state: dict, text: str, env: FlowEnvironment, *, take_state=False):
        self.steps: dict = definition["steps"]
        self.start: str = definition["start"]
        self.state = (state if take_state else copy.deepcopy(state)) if state else initial_state()
        for key, value in initial_state().items():
            self.state.setdefault(key, value)
        self.text = text
        self.env = env
        self.extract = env.extract or default_extract
        self.out = TurnOutcome(state=self.state)
        self._products: dict | None = None

    # --- context -------------------------------------------------------------------------------

    def context(self) -> dict:
        return {
            "slots": self.state["slots"],
            "results": self.state["results"],
            "params": self.env.params,
            "customer": self.env.customer(),
        }

    def render(self, text: str) -> str:
        return templates.render(text, self.context())

    def arguments(self, arguments: dict) -> dict:
        rendered = {}
        for name, value in arguments.items():
            if isinstance(value, str):
                rendered[name] = self.render(value) if templates.is_template(value) else value
            elif isinstance(value, dict) and "$slot" in value:
                rendered[name] = copy.deepcopy(_lookup(self.state["slots"], value["$slot"]))
            elif isinstance(value, dict) and "$result" in value:
                rendered[name] = copy.deepcopy(_lookup(self.state["results"], value["$result"]))
            else:
                rendered[name] = copy.deepcopy(value)
        return rendered

    def slot_context(self, kind: str = "", step_id: str = ""):
        from scenarios.engine.slots.base import SlotContext

        # Only a cancellation reason reads the SOP (reading it may cost a round trip).
        reasons = self.env.params.get("cancel_reasons") if kind == "cancel_reason" else None
        return SlotContext(
            order=self.state["results"].get("order"),
            customer=self.state["results"].get("user"),
            allowed_reasons=tuple(reasons)
            if isinstance(reasons, list | tuple) and reasons
            else DEFAULT_REASONS,
            previous=dict(self.state["slots"]),
            products=self.products() if kind in PRODUCT_BOUND_KINDS else {},
            earlier=tuple(self.state["narrowing"].get(step_id, ())),
        )

    def products(self) -> dict:
        """The products of the chosen items of `results.order`, read through the gateway once per turn
        (not kept in the state: availability is read fresh when the customer answers)."""
        if self._products is None:
            chosen = set(self.state["slots"].get("item_ids") or [])
            items = (self.state["results"].get("order") or {}).get("items") or []
            self._products = {}
            for item in items:
                product_id = item.get("product_id") if isinstance(item, dict) else None
                if product_id and item.get("item_id") in chosen and product_id not in self._products:
                    outcome = self.call("get_product_details", {"product_id": product_id})
                    if outcome.status == "executed":
                        self._products[product_id] = outcome.result
        return self._products

    # --- tools ---------------------------------------------------------------------------------

    def call(
        self, name: str, arguments: dict, *, confirmed: bool = False, key: str | None = None
    ) -> ToolOutcome:
        outcome = self.env.call_tool(name, arguments, confirmed=confirmed, idempotency_key=key)
        self.out.actions.append({"name": name, "arguments": arguments, "status": outcome.status})
        return outcome

    def failed(self, step: dict, error: dict, detail: dict):
        """A denied call or an unresolvable argument: on to `on_error`, or a person takes over."""
        self.state["results"]["error"] = error
        detail["error"] = error
        if step.get("on_error"):
            return ("goto", step["on_error"])
        self.out.replies.append(f"Sorry, I could not do that: {error['message']}")
        return self.hand_off(FALLBACK_QUEUE, f"The flow stopped on an error: {error['message']}", detail)

    def hand_off(self, queue: str, summary: str, detail: dict):
        outcome = self.call("transfer_to_human_agents", {"summary": summary})
        detail.update(queue=queue, summary=summary, transfer=outcome.status)
        if not self.out.replies:
            # The customer must never be left with an empty answer when a person takes over.
            self.out.replies.append(HANDOFF_REPLY)
        self.out.handoff = {"queue": queue, "summary": summary}
        return ("end", "handed_off")

    # --- steps ---------------------------------------------------------------------------------

    def ask(self, step_id: str, text: str):
        self.out.replies.append(text)
        return ("wait", step_id)

    def retry(self, step_id: str, step: dict, question: str, detail: dict):
        attempts = self.state["attempts"].get(step_id, 0) + 1
        self.state["attempts"][step_id] = attempts
        detail["attempts"] = attempts
        if attempts >= MAX_ATTEMPTS:
            queue = self.env.params.get("handoff_queue") or FALLBACK_QUEUE
            self.out.replies.append("Let me bring in a colleague who can help you with this.")
            return self.hand_off(str(queue), f"The customer could not answer: {question}", detail)
        return self.ask(step_id, question)

    def do_collect(self, step_id: str, step: dict, waiting: bool, detail: dict):
        slot, kind = step["slot"], step["kind"]
        names = NAME_ZIP_SLOTS if kind == "name_zip" else (slot,)
        detail.update(slot=slot, kind=kind)
        if not waiting and all(n in self.state["slots"] for n in names):
            if step_id not in self.state["visited"]:
                detail["status"] = "known"
                self.state["visited"].append(step_id)
                return ("goto", step["next"])
            # Entered again through a loop (e.g. "order not found"): the old value is what failed.
            for n in names:
                self.state["slots"].pop(n, None)
            self.state["narrowing"].pop(step_id, None)
            detail["status"] = "asked_again"
            return self.ask(step_id, self.render(step["prompt"]))
        if waiting:
            candidates = [self.text]
        elif kind in INTERACTIVE_KINDS:
            candidates = []
        else:
            candidates = [self.text, *reversed(self.state["history"][:-1])]
        context = self.slot_context(kind, step_id)
        question = self.render(step["prompt"])
        for position, text in enumerate(candidates):
            result = self.extract(kind, text, context=context)
            if position == 0 and kind in PRODUCT_BOUND_KINDS and result.question:
                # "There is no T-Shirt in green, size M; it is available in …" says more than the prompt.
                question = result.question
            if result.status == "filled":
                if kind == "name_zip":
                    for n in NAME_ZIP_SLOTS:
                        self.state["slots"][n] = result.value[n]
                else:
                    self.state["slots"][slot] = result.value
                if kind in PRODUCT_BOUND_KINDS:
                    self.state["results"][kind] = item_changes(
                        context.order, context.products, context.previous.get("item_ids") or [], result.value
                    )
                self.state["attempts"].pop(step_id, None)
                self.state["narrowing"].pop(step_id, None)
                if step_id not in self.state["visited"]:
                    self.state["visited"].append(step_id)
                detail.update(status="filled", value=result.value, from_earlier_message=position > 0)
                return ("goto", step["next"])
            if result.status == "ambiguous" and position == 0 and (waiting or kind not in INTERACTIVE_KINDS):
                # Ambiguity asks back and never guesses, even when it is the first thing said.
                detail.update(status="ambiguous", candidates=list(result.candidates))
                narrowing = [*self.state["narrowing"].get(step_id, []), text[:HISTORY_CHARS]]
                self.state["narrowing"][step_id] = narrowing[-MAX_ATTEMPTS:]
                question = result.question or self.render(step["prompt"])
                return self.retry(step_id, step, question, detail) if waiting else self.ask(step_id, question)
        detail["status"] = "missing"
        if waiting:
            return self.retry(step_id, step, question, detail)
        return self.ask(step_id, question)

    def do_tool(self, step_id: str, step: dict, waiting: bool, detail: dict):
        try:
            arguments = self.arguments(step["arguments"])
        except ArgumentError as error:
            return self.failed(
                step, {"code": "argument_unresolved", "rule": "", "message": str(error)}, detail
            )
        outcome = self.call(step["tool"], arguments)
        detail.update(tool=step["tool"], arguments=arguments, status=outcome.status)
        if outcome.status != "executed":
            error = {"code": outcome.code, "rule": outcome.rule, "message": outcome.message}
            return self.failed(step, error, detail)
        if step.get("result"):
            self.state["results"][step["result"]] = outcome.result
        return ("goto", step["next"])

    def do_decide(self, step_id: str, step: dict, waiting: bool, detail: dict):
        context = self.context()
        errors = []
        for position, rule in enumerate(step["rules"]):
            try:
                matched = expressions.evaluate(rule["when"], **context)
            except expressions.ExpressionError as error:
                # A key not there yet (no result stored) reads as "no": the rule does not apply.
                errors.append({"rule": position, "error": str(error)})
                continue
            if matched:
                detail.update(matched=position, when=rule["when"], next=rule["next"], errors=errors)
                return ("goto", rule["next"])
        detail.update(matched=None, next=step["default"], errors=errors)
        return ("goto", step["default"])

    def do_judge_evidence(self, step_id: str, step: dict, waiting: bool, detail: dict):
        judgment = self.env.judge(
            step["claim_type"],
            slots=self.state["slots"],
            results=self.state["results"],
            evidence=self.env.evidence,
        )
        self.state["results"][step["result"]] = judgment
        detail.update(claim_type=step["claim_type"], verdict=judgment.get("verdict"), judgment=judgment)
        return ("goto", step["next"])

    def do_confirm(self, step_id: str, step: dict, waiting: bool, detail: dict):
        pending = self.state.get("pending")
        if not waiting or not pending or pending.get("step") != step_id:
            try:
                arguments = self.arguments(step["action"]["arguments"])
            except ArgumentError as error:
                return self.failed(
                    step, {"code": "argument_unresolved", "rule": "", "message": str(error)}, detail
                )
            self.state["pending"] = {"step": step_id, "tool": step["action"]["tool"], "arguments": arguments}
            detail.update(status="asked", tool=step["action"]["tool"], arguments=arguments)
            return self.ask(step_id, self.render(step["prompt"]))
        answer = self.extract("yes_no", self.text, context=self.slot_context())
        if answer.status != "filled":
            detail["status"] = "unclear"
            return self.retry(step_id, step, self.render(step["prompt"]), detail)
        self.state["pending"] = None
        self.state["attempts"].pop(step_id, None)
        if answer.value is not True:
            detail["status"] = "declined"
            return ("goto", step["no"])
        outcome = self.call(
            pending["tool"], pending["arguments"], confirmed=True, key=f"{self.env.key_prefix}:{step_id}"
        )
        detail.update(status=outcome.status, tool=pending["tool"], arguments=pending["arguments"])
        if outcome.status != "executed":
            error = {"code": outcome.code, "rule": outcome.rule, "message": outcome.message}
            return self.failed(step, error, detail)
        self.state["results"]["action"] = outcome.result
        return ("goto", step["yes"])

    def do_reply(self, step_id: str, step: dict, waiting: bool, detail: dict):
        self.out.replies.append(self.render(step["template"]))
        if step.get("next"):
            return ("goto", step["next"])
        if step.get("wait"):
            return ("wait", step["wait"])
        return ("end", "resolved")

    def do_handoff(self, step_id: str, step: dict, waiting: bool, detail: dict):
        return self.hand_off(step["queue"], self.render(step["reason"]), detail)

    def do_end(self, step_id: str, step: dict, waiting: bool, detail: dict):
        if step.get("template"):
            self.out.replies.append(self.render(step["template"]))
        return ("end", step["outcome"])

    # --- the loop ------------------------------------------------------------------------------

    def run(self) -> TurnOutcome:
        history = self.state["history"]
        history.append(self.text[:HISTORY_CHARS])
        del history[:-HISTORY_SIZE]
        current = self.state["step"] or self.start
        waiting = bool(self.state["waiting"]) and self.state["step"] is not None
        for _ in range(MAX_STEPS_PER_TURN):
            step = self.steps[current]
            started = time.perf_counter()
            detail: dict = {}
            action, target = getattr(self, f"do_{step['type']}")(current, step, waiting, detail)
            self.out.steps.append(
                StepTrace(
                    current,
                    step["type"],
                    step.get("clause", ""),
                    detail,
                    round((time.perf_counter() - started) * 1000, 3),
                )
            )
            waiting = False
            if action == "goto":
                current = target
                continue
            if action == "wait":
                self.state.update(step=target, waiting=True)
                return self.out
            self.state.update(step=None, waiting=False, pending=None)
            self.out.ended, self.out.outcome = True, target
            return self.out
        # A flow that never waits nor ends within the budget has a loop its author did not mean.
        detail = {"error": f"more than {MAX_STEPS_PER_TURN} steps in one turn"}
        self.out.replies.append("Let me bring in a colleague who can help you with this.")
        self.hand_off(FALLBACK_QUEUE, "The automated flow could not settle on an answer.", detail)
        self.out.steps.append(StepTrace(current, "budget", "", detail, 0.0))
        self.state.update(step=None, waiting=False, pending=None)
        self.out.ended, self.out.outcome = True, "handed_off"
        return self.out


def run_turn(
    definition: dict, state: dict | None, text: str, env: FlowEnvironment, *, take_state: bool = False
) -> TurnOutcome:
    """Run the flow one turn for the customer's `text`. The definition must be valid (validate.py).

    `state` is copied first, unless the caller hands it over (`take_state`: it is the turn's to change
    and becomes the outcome's state — a state just read from the database and replaced by the outcome
    needs no deep copy, ~0.1 ms a turn)."""
    return _Turn(definition, state or {}, text, env, take_state=take_state).run()
