"""The tool gateway: the one door every tool call goes through — the API, the flow engine and the
agent loop alike. The LLM proposes, the policy guard disposes.

In order: the tool must exist (404 ``unknown_tool``); the arguments must match its JSON schema (400
``invalid_arguments``); a write must carry an Idempotency-Key (400 ``idempotency_key_required``); a key
seen before replays its stored response, or is a conflict (409 ``idempotency_conflict``) when the
payload differs. Then the policy guard, whose every refusal is a recorded, denied ToolCall with a
stable ``code`` and a ``rule``:

- ``conversation.ended``      the conversation has ended (handed off, resolved, abandoned);
- ``auth.required``           a customer-specific tool before the customer is verified;
- ``auth.own_data_only``      another customer's user, order or payment method (one customer per
                              conversation; also a find_user_id_* that finds someone else);
- ``confirm.required``        a write without ``confirmed=true``;
- ``sop.not_published``       a write whose SOP is not published in the conversation's region;
- ``sop.<parameter>``         a write outside the bounds of the region's SOP (cancellation reasons,
                              refund destinations, ``auto_refund_cap``).

Then the marketplace tool runs; its refusal (``ToolError``) is a denied call with code ``tool_rule``,
``rule`` = the tool's name and ``message`` = the contract's exact error text.

Idempotency: keys are scoped per API client and a key executes once, ever — including a denial,
which is that key's final answer (retry with a new key after fixing the cause). An unexpected
failure (``failed``) releases the key so the retry can run. The claim is race-free: the ToolCall row
holding the key is inserted first inside the call's transaction, so a concurrent call with the same
key blocks on the unique index until the first commits and then replays its row.
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import structlog
from django.db import DatabaseError, IntegrityError, connection, transaction
from jsonschema import Draft202012Validator

from aftersales.marketplace.tools import TOOLS, ToolError, ToolSpec
from aftersales.models import Order, OrderItem, PaymentMethod, PaymentTransaction, TransactionType
from config.batch import WriteBatch
from config.errors import Conflict, DomainError, NotFound, ValidationFailed
from scenarios.models import Conversation, ToolCall
from scenarios.services.conversations import (
    DEFAULT_HANDOFF_QUEUE,
    conversation_hand_off,
    conversation_verify_customer,
)
from scenarios.sop_parameters import sop_parameters_in_force as sop_parameters
from scenarios.trace import conversation_for_regions, conversation_where

logger = structlog.get_logger(__name__)

EXECUTED, DENIED, FAILED = ToolCall.Status.EXECUTED, ToolCall.Status.DENIED, ToolCall.Status.FAILED
POLICY_DENIED = "policy_denied"
TOOL_RULE = "tool_rule"
OUTCOME_FIELDS = ["status", "code", "rule", "message", "result", "duration_ms", "idempotency_key"]
# Arguments that name customer data: a tool taking any of them is customer-specific.
CUSTOMER_ARGUMENTS = ("user_id", "order_id", "payment_method_id")
VERIFYING_TOOLS = {"find_user_id_by_email": "email", "find_user_id_by_name_zip": "name_zip"}
HANDOFF_SOP = "human-handoff"
# The SOP that bounds each write. Profile changes fall under the authentication SOP, whose
# "After authentication" clause is what allows them in the reference policy.
WRITE_SOPS = {
    "cancel_pending_order": "order-cancellation",
    "modify_pending_order_address": "order-modification",
    "modify_pending_order_payment": "order-modification",
    "modify_pending_order_items": "order-modification",
    "return_delivered_order_items": "return-delivered-item",
    "exchange_delivered_order_items": "exchange-delivered-item",
    "modify_user_address": "authentication",
}


@dataclass(frozen=True)
class GatewayResult:
    status: str  # executed | denied | failed
    result: Any
    code: str
    rule: str
    message: str
    tool_call: ToolCall
    replayed: bool = False

    @classmethod
    def of(cls, call: ToolCall, *, replayed: bool = False) -> GatewayResult:
        return cls(call.status, call.result, call.code, call.rule, call.message, call, replayed)


@dataclass(frozen=True)
class Denial:
    rule: str
    message: str
    code: str = POLICY_DENIED


# ------------------------------------------------------------------------------- validation


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(TOOLS[name].parameters)


def _tool(name: str, arguments: Any) -> ToolSpec:
    spec = TOOLS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise NotFound(f"Unknown tool {name!r}.", code="unknown_tool", details={"name": name})
    errors = sorted(_validator(name).iter_errors(arguments), key=lambda e: list(e.absolute_path))
    if errors:
        raise ValidationFailed(
            f"The arguments do not match the schema of {name}.",
            code="invalid_arguments",
            details={
                "arguments": [
                    {"path": "/" + "/".join(str(p) for p in error.absolute_path), "message": error.message}
                    for error in errors
                ]
            },
        )
    return spec


def _request_hash(conversation: Conversation, name: str, arguments: dict, confirmed: bool) -> str:
    # The conversation is part of the payload: a key reused in another conversation is a conflict.
    payload = {
        "conversation": str(conversation.pk),
        "name": name,
        "arguments": arguments,
        "confirmed": confirmed,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key_scope(conversation: Conversation) -> str:
    return conversation.api_client_id or "internal"


def _replay(scope: str, key: str, request_hash: str) -> GatewayResult | None:
    stored = ToolCall.objects.filter(key_scope=scope, idempotency_key=key).first()
    if stored is None:
        return None
    if stored.request_hash != request_hash:
        raise Conflict(
            "This Idempotency-Key was already used with another request.",
            code="idempotency_conflict",
            details={"tool_call": stored.seq, "conversation": str(stored.conversation_id)},
        )
    return GatewayResult.of(stored, replayed=True)


# ---------------------------------------------------------------------------------- the guard


# The owner (a customer id) of each record a call's arguments name, by argument; None: no such record.
Owners = dict[str, str | None]
# The records whose owner the guard checks: argument → (model, label).
OWNED_RECORDS = {"order_id": (Order, "order"), "payment_method_id": (PaymentMethod, "payment method")}
# Reads whose result names the owner of the record they were asked for: tool → (argument, result key).
# Their owner is checked on the result before it is returned, instead of being read first: a read
# changes nothing, so refusing it after it ran is the same refusal, without the extra read.
OWNER_IN_RESULT = {"get_order_details": ("order_id", "user_id")}


def _claim(
    conversation: Conversation, arguments: dict, *, locked: bool, region_codes=None, checked_on_result=None
) -> tuple[Conversation, Owners]:
    """Take the call's sequence number and bring onto ``conversation`` what the guard reads: its
    status, verified customer and region as they are now. Returns it with the owner of each record
    the arguments name ({argument: customer id, or None where there is no such record}): this
    call's own, never an earlier call's.

    Unlocked: one statement, ``UPDATE ... SET tool_call_count = tool_call_count + 1 RETURNING``. The
    UPDATE takes the row lock (held to the end of the caller's transaction, if any) and, having
    waited for it, returns the row as the previous holder committed it — so the counter never
    repeats. (The owners are subqueries read in the statement's snapshot; an order or payment
    method never changes owner, so that is safe.) With ``region_codes`` the conversation must be in
    one of them, else it does not exist for the caller (404, as for every conversation endpoint).

    Locked (a flow turn holds the lock and read the row under it): the counter is incremented in
    memory and written back with the turn; only the owners are read.

    ``checked_on_result``: the argument whose owner the result will name (OWNER_IN_RESULT); it is
    not read here."""
    owned = [
        (argument, model)
        for argument, (model, _) in OWNED_RECORDS.items()
        if isinstance(arguments.get(argument), str) and argument != checked_on_result
    ]
    # Identifiers only (from the models' metadata) go into the SQL text; every value is a parameter.
    owner_reads = [
        f'(SELECT "{model._meta.get_field("customer").column}" FROM "{model._meta.db_table}" '  # noqa: S608
        f'WHERE "{model._meta.pk.column}" = %s)'
        for _, model in owned
    ]
    owner_params = [arguments[argument] for argument, _ in owned]
    with connection.cursor() as cursor:
        if locked:
            conversation.tool_call_count += 1
            values = ()
            if owner_reads:
                cursor.execute("SELECT " + ", ".join(owner_reads), owner_params)
                values = cursor.fetchone()
        else:
            where, params = conversation_where(conversation.pk, region_codes)
            returning = ", ".join(
                ['"tool_call_count", "status", "customer_id", "region_id", "api_client_id"', *owner_reads]
            )
            table = Conversation._meta.db_table
            increment = f'UPDATE "{table}" SET "tool_call_count" = "tool_call_count" + 1'  # noqa: S608
            cursor.execute(f"{increment} WHERE {where} RETURNING {returning}", params + owner_params)
            row = cursor.fetchone()
            if row is None:
                raise NotFound(f"No conversation {conversation.pk}.", code="conversation_not_found")
            (
                conversation.tool_call_count,
                conversation.status,
                conversation.customer_id,
                conversation.region_id,
                conversation.api_client_id,
            ) = row[:5]
            values = row[5:]
    return conversation, {argument: owner for (argument, _), owner in zip(owned, values, strict=True)}


def _ownership(conversation: Conversation, arguments: dict, owners: Owners) -> Denial | None:
    customer_id = conversation.customer_id
    others = []
    if "user_id" in arguments and arguments["user_id"] != customer_id:
        others.append(f"user {arguments['user_id']}")
    # A record that does not exist is not another customer's: the tool answers "... not found".
    for argument, (_, label) in OWNED_RECORDS.items():
        if argument in arguments:
            owner = owners.get(argument)
            if owner is not None and owner != customer_id:
                others.append(f"{label} {arguments[argument]}")
    if others:
        return Denial(
            "auth.own_data_only",
            f"This conversation may only access the data of its verified customer, not {', '.join(others)}.",
        )
    return None


def _refund_amount(name: str, arguments: dict) -> Decimal | None:
    """What the action would refund, for the caps (None: the action refunds nothing)."""
    if name == "cancel_pending_order":
        signed = Decimal("0")
        for kind, amount in PaymentTransaction.objects.filter(order_id=arguments["order_id"]).values_list(
            "transaction_type", "amount"
        ):
            signed += amount if kind == TransactionType.PAYMENT else -amount
        return signed
    if name == "return_delivered_order_items":
        prices: dict[str, list[Decimal]] = {}
        for item_id, price in OrderItem.objects.filter(order_id=arguments["order_id"]).values_list(
            "item_id", "price"
        ):
            prices.setdefault(item_id, []).append(price)
        return sum((prices[i].pop() for i in arguments["item_ids"] if prices.get(i)), Decimal("0"))
    return None


def _sop_bounds(conversation: Conversation, name: str, arguments: dict) -> Denial | None:
    sop_key, region = WRITE_SOPS.get(name), conversation.region_id
    if sop_key is None:
        return None
    try:
        params = sop_parameters(sop_key=sop_key, region_code=region)
    except NotFound:
        return Denial(
            "sop.not_published",
            f"The SOP {sop_key} is not published in {region}: this action is not available.",
        )
    reasons = params.get("cancel_reasons")
    if name == "cancel_pending_order" and reasons is not None and arguments["reason"] not in reasons:
        return Denial(
            "sop.cancel_reasons",
            f"The reason {arguments['reason']!r} is not an allowed cancellation reason in {region} "
            f"(allowed: {', '.join(reasons)}).",
        )
    destinations = params.get("refund_destinations")
    if name == "return_delivered_order_items" and destinations is not None:
        denial = _refund_destination(arguments, destinations, region)
        if denial:
            return denial
    cap = params.get("auto_refund_cap")
    amount = _refund_amount(name, arguments)
    if cap is not None and amount is not None and amount > cap:
        return Denial(
            "sop.auto_refund_cap",
            f"The refund of {amount} exceeds the automatic refund cap of {cap} in {region}: "
            "a human agent decides.",
        )
    return None


def _refund_destination(arguments: dict, destinations: list, region: str) -> Denial | None:
    method = PaymentMethod.objects.filter(pk=arguments["payment_method_id"]).only("source").first()
    if method is None:
        return None  # the tool answers "Payment method not found"
    first = (
        PaymentTransaction.objects.filter(order_id=arguments["order_id"])
        .order_by("position")
        .values_list("payment_method_id", flat=True)
        .first()
    )
    if method.is_gift_card and method.pk != first:
        wanted = "gift_card"
    elif method.pk == first:
        wanted = "original_payment_method"
    else:
        return None  # neither: the tool answers "Payment method should be the original payment method"
    if wanted in destinations:
        return None
    return Denial(
        "sop.refund_destinations",
        f"Refunds to the {wanted.replace('_', ' ')} are not allowed in {region} "
        f"(allowed: {', '.join(destinations)}).",
    )


def _guard(
    conversation: Conversation, spec: ToolSpec, arguments: dict, confirmed: bool, owners: Owners
) -> Denial | None:
    if not conversation.is_open:
        return Denial("conversation.ended", "This conversation has ended: no more tool calls.")
    if any(argument in spec.parameters["properties"] for argument in CUSTOMER_ARGUMENTS):
        if conversation.customer_id is None:
            return Denial(
                "auth.required",
                "Authenticate the customer first: find their user id by email, or by name and zip code.",
            )
        denial = _ownership(conversation, arguments, owners)
        if denial:
            return denial
    if spec.kind == "write":
        if not confirmed:
            return Denial(
                "confirm.required",
                "A write needs the customer's explicit confirmation: list the action, get a yes, "
                "and call again with confirmed=true.",
            )
        return _sop_bounds(conversation, spec.name, arguments)
    return None


# ------------------------------------------------------------------------------- execution


def _after(conversation: Conversation, spec: ToolSpec, arguments: dict, result: Any) -> Denial | None:
    """What a successful call does to the conversation: verify its customer, or hand it off. A read
    whose result names its record's owner is refused here if that is someone else."""
    if spec.name in OWNER_IN_RESULT:
        argument, key = OWNER_IN_RESULT[spec.name]
        owner = result.get(key) if isinstance(result, dict) else None
        denial = _ownership(conversation, {argument: arguments[argument]}, {argument: owner})
        if denial:
            return denial
    via = VERIFYING_TOOLS.get(spec.name)
    if via and not conversation_verify_customer(conversation=conversation, customer_id=result, via=via):
        return Denial(
            "auth.own_data_only",
            "This conversation is verified as another customer: one customer per conversation.",
        )
    if spec.kind == "handoff":
        try:
            queue = sop_parameters(sop_key=HANDOFF_SOP, region_code=conversation.region_id).get(
                "handoff_queue"
            )
        except NotFound:
            queue = None
        conversation_hand_off(
            conversation=conversation, queue=queue or DEFAULT_HANDOFF_QUEUE, summary=arguments["summary"]
        )
    return None


def _changes(spec: ToolSpec) -> bool:
    """Whether the call may change data: a write, a verification, a hand-off."""
    return spec.kind != "read" or spec.name in VERIFYING_TOOLS


def _execute(conversation: Conversation, spec: ToolSpec, arguments: dict, call: ToolCall) -> None:
    # A savepoint where the call changes something (a write, a verification, a hand-off): a failing
    # tool leaves the call's own transaction (and its claim) usable. A plain read changes nothing and
    # its refusals are Python exceptions, so it saves the two round trips.
    changes = _changes(spec)
    try:
        with transaction.atomic() if changes else nullcontext():
            result = spec.function(**arguments)
            denial = _after(conversation, spec, arguments, result)
            if denial:
                # Roll back what the call did (nothing for a read) and record the refusal.
                raise _Refused(denial)
    except _Refused as refused:
        _deny(call, refused.denial)
    except ToolError as error:
        _deny(call, Denial(spec.name, error.message, code=TOOL_RULE))
    except Exception as error:  # any failure is recorded, and the key released for a retry
        if not changes and isinstance(error, DatabaseError):
            raise  # it aborted the call's transaction (no savepoint): nothing more can be written in it
        logger.exception("tool_call_failed", tool=spec.name, conversation=str(conversation.pk))
        call.status, call.code = FAILED, error.code if isinstance(error, DomainError) else "tool_failed"
        call.message = "The tool failed unexpectedly; the call can be retried."
        call.idempotency_key = None
    else:
        call.status, call.result = EXECUTED, result


class _Refused(Exception):
    def __init__(self, denial: Denial):
        self.denial = denial


def _deny(call: ToolCall, denial: Denial) -> None:
    call.status, call.code, call.rule, call.message = DENIED, denial.code, denial.rule, denial.message


def gateway_call(
    *,
    conversation: Conversation,
    name: str,
    arguments: Any,
    confirmed: bool = False,
    idempotency_key: str | None = None,
    source: str = ToolCall.Source.API,
    locked: bool = False,
    region_codes=None,
    batch: WriteBatch | None = None,
) -> GatewayResult:
    """Validate, guard, execute and record one tool call in ``conversation`` (see the module doc).

    ``locked``: the caller holds the conversation's row lock in the open transaction (a flow turn).
    ``batch`` (with ``locked``): the record of a plain read joins the caller's trailing writes (one
    round trip for the whole turn) instead of being an INSERT of its own; it is then unsaved until
    the caller flushes the batch.
    ``region_codes`` (the API): ``conversation`` is only a reference by primary key, which must name a
    conversation in one of these regions (404 ``conversation_not_found`` otherwise); its fields are
    read here, in the statement that claims the call (none is read twice)."""
    started = time.perf_counter()
    spec = _tool(name, arguments)
    if spec.kind == "write" and not idempotency_key:
        raise ValidationFailed(
            f"{name} changes data: send an Idempotency-Key.", code="idempotency_key_required"
        )
    if idempotency_key and region_codes is not None:
        # The key's scope (the conversation's client) is needed before the claim, for the replay.
        conversation, region_codes = conversation_for_regions(conversation.pk, region_codes), None
    scope = _key_scope(conversation)
    request_hash = _request_hash(conversation, name, arguments, bool(confirmed)) if idempotency_key else ""
    if idempotency_key and (replay := _replay(scope, idempotency_key, request_hash)):
        return replay

    # A read without a key changes nothing but its own record. It runs in no transaction of its own
    # (in the caller's, if any): its claim commits at once, so it does not hold the row lock while the
    # tool runs, and its record is written once, with its outcome, at the end. (Should the process die
    # in between, that sequence number is skipped: numbers are unique and ordered, not gap-free.)
    # Every other call runs in a transaction holding the row lock, and its record goes in first: it
    # claims the key and dates the events the call causes after it.
    plain = not _changes(spec) and not idempotency_key
    with nullcontext() if plain else transaction.atomic():
        # Calls of one conversation that change something serialise here: the verified customer and
        # the open status are read and changed under this lock. No LLM is ever called inside it.
        conversation, owners = _claim(
            conversation,
            arguments,
            locked=locked,
            region_codes=region_codes,
            checked_on_result=OWNER_IN_RESULT.get(name, (None,))[0],
        )
        call = ToolCall(
            conversation=conversation,
            seq=conversation.tool_call_count,
            name=name,
            arguments=arguments,
            confirmed=bool(confirmed),
            source=source,
            status=FAILED,
            key_scope=scope if idempotency_key else "",
            idempotency_key=idempotency_key or None,
            request_hash=request_hash,
        )
        if not plain:
            # Only a keyed insert can collide (the sequence number is ours): only it needs the
            # savepoint that keeps the transaction usable for the replay. A concurrent holder of the
            # same key makes this insert wait for its commit, then fail, and this call replays its row.
            try:
                with transaction.atomic() if idempotency_key else nullcontext():
                    call.save()
            except IntegrityError:
                replay = _replay(scope, idempotency_key, request_hash) if idempotency_key else None
                if replay is None:
                    raise
                return replay
        denial = _guard(conversation, spec, arguments, bool(confirmed), owners)
        if denial:
            _deny(call, denial)
        else:
            _execute(conversation, spec, arguments, call)
        call.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        if plain:
            # One INSERT with the outcome: the caller's batch, or one of its own (cheaper than save()).
            record = batch if batch is not None else WriteBatch()
            record.insert([call])
            if batch is None:
                record.flush()
        else:
            call.save(update_fields=OUTCOME_FIELDS)
    return GatewayResult.of(call)
