"""Reads of conversations: the ones an API client may see, and a conversation's whole trace — what
the API's ``GET conversations/{id}/`` and the admin's conversation page both show."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from config.errors import NotFound
from scenarios.models import Conversation, ConversationEvent, ToolCall

# A trace is for reading one case; a runaway conversation is cut here rather than sent whole.
TRACE_LIMIT = 500


def conversations_for_regions(region_codes) -> QuerySet[Conversation]:
    return Conversation.objects.filter(region_id__in=list(region_codes))


def conversation_for_regions(conversation_id, region_codes) -> Conversation:
    """The conversation if it is in one of ``region_codes``; otherwise it does not exist for the caller
    (404, never 403: a client scoped to US learns nothing about conversations elsewhere)."""
    conversation = conversations_for_regions(region_codes).filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound(f"No conversation {conversation_id}.", code="conversation_not_found")
    return conversation


def conversation_where(conversation_id, region_codes=None) -> tuple[str, list]:
    """``conversation_for_regions``'s rule as raw SQL, for the runtime's hand-written statements: a
    WHERE clause (quoted column names) and its parameters matching the conversation by primary key
    and, with ``region_codes``, only in one of those regions (an empty scope matches nothing)."""
    meta, quote = Conversation._meta, connection.ops.quote_name
    where, params = f"{quote(meta.pk.column)} = %s", [meta.pk.get_db_prep_value(conversation_id, connection)]
    if region_codes is not None:
        codes = sorted(region_codes) or [""]
        where += f" AND {quote(meta.get_field('region').column)} IN ({', '.join(['%s'] * len(codes))})"
        params += codes
    return where, params


def conversation_tool_calls(conversation: Conversation) -> list[ToolCall]:
    return list(conversation.tool_calls.order_by("seq")[:TRACE_LIMIT])


def conversation_events(conversation: Conversation) -> list[ConversationEvent]:
    return list(conversation.events.order_by("created", "pk")[:TRACE_LIMIT])


def conversation_turns(conversation: Conversation) -> list[dict[str, Any]]:
    """The turns of the conversation with their steps, oldest first.

    Extension point: the flow runtime owns the turn models and fills this in with one dict per turn
    (its text, reply, scenario, steps and timings). The API serializer and the admin page call only
    this, so they show the turns as soon as it returns them."""
    from scenarios.flows.selectors import turns_as_dicts

    return turns_as_dicts(conversation, limit=TRACE_LIMIT)


def tool_call_as_dict(call: ToolCall) -> dict[str, Any]:
    return {
        "seq": call.seq,
        "name": call.name,
        "arguments": call.arguments,
        "confirmed": call.confirmed,
        "source": call.source,
        "status": call.status,
        "code": call.code,
        "rule": call.rule,
        "message": call.message,
        "result": call.result,
        "duration_ms": call.duration_ms,
        "idempotency_key": call.idempotency_key,
        "at": call.created,
    }


def conversation_trace(conversation: Conversation) -> dict[str, Any]:
    """Everything that happened in the conversation, in order, with timings and the outcome."""
    calls = conversation_tool_calls(conversation)
    events = conversation_events(conversation)
    handed_off = conversation.outcome == Conversation.Outcome.HANDED_OFF
    return {
        "id": conversation.pk,
        "region": conversation.region_id,
        "channel": conversation.channel,
        "status": conversation.status,
        "outcome": conversation.outcome,
        "verified_customer_id": conversation.customer_id,
        "verified_via": conversation.verified_via,
        "handoff": (
            {"queue": conversation.handoff_queue, "summary": conversation.handoff_summary}
            if handed_off
            else None
        ),
        "feedback": (
            {"csat": conversation.csat, "resolved": conversation.resolved_by_customer}
            if conversation.csat is not None
            else None
        ),
        "state": conversation.state,
        "created": conversation.created,
        "ended_at": conversation.ended_at,
        "turns": conversation_turns(conversation),
        "events": [{"kind": e.kind, "data": e.data, "at": e.created} for e in events],
        "tool_calls": [tool_call_as_dict(call) for call in calls],
        "totals": {
            "tool_calls": len(calls),
            "denied": sum(call.status == ToolCall.Status.DENIED for call in calls),
            "failed": sum(call.status == ToolCall.Status.FAILED for call in calls),
            "tool_ms": round(sum(call.duration_ms for call in calls), 3),
        },
    }
