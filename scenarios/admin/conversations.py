"""Conversations for ops: a filtered list and, per conversation, a read-only trace that reads top to
bottom — what happened, in order, with every tool call's arguments, result or denial and its time."""

from __future__ import annotations

import json
import uuid

from django.contrib import admin
from unfold.admin import ModelAdmin

from aftersales.admin.scoping import RegionScopedAdminMixin
from scenarios.models import Conversation
from scenarios.trace import conversation_trace


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def trace_timeline(trace: dict) -> list[dict]:
    """Events, tool calls and turns merged into one list by time (ties keep that order)."""
    entries = [{"kind": "event", "at": e["at"], "event": e} for e in trace["events"]]
    for call in trace["tool_calls"]:
        entries.append(
            {
                "kind": "tool_call",
                "at": call["at"],
                "call": call,
                "arguments": _pretty(call["arguments"]),
                "result": _pretty(call["result"]) if call["result"] is not None else "",
            }
        )
    entries += [{"kind": "turn", "at": t.get("at"), "turn": t, "body": _pretty(t)} for t in trace["turns"]]
    return sorted(entries, key=lambda entry: (entry["at"] is None, entry["at"] or 0))


@admin.register(Conversation)
class ConversationAdmin(RegionScopedAdminMixin, ModelAdmin):
    list_display = ["id", "created", "region", "channel", "customer", "status", "outcome", "csat"]
    list_filter = ["region", "channel", "status", "outcome"]
    list_select_related = ["region", "customer"]
    search_fields = ["id", "customer__user_id", "customer__email", "customer__last_name"]
    date_hierarchy = "created"
    change_form_template = "admin/scenarios/conversation/trace.html"
    fields = [
        "id",
        "region",
        "channel",
        "api_client",
        "customer",
        "verified_via",
        "status",
        "outcome",
        "handoff_queue",
        "handoff_summary",
        "csat",
        "resolved_by_customer",
        "created",
        "ended_at",
    ]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        # The id is a UUID: match it exactly when the term is one, never by a slow text scan.
        try:
            return queryset.filter(pk=uuid.UUID(search_term.strip())), False
        except ValueError:
            return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a trace is evidence of what happened: never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        conversation = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if conversation is not None:
            trace = conversation_trace(conversation)
            extra_context.update(trace=trace, timeline=trace_timeline(trace), state=_pretty(trace["state"]))
        return super().change_view(request, object_id, form_url, extra_context)
