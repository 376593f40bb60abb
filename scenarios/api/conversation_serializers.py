from rest_framework import serializers

from scenarios.models import Channel, ConversationEvent, ToolCall

IDEMPOTENCY_KEY_MAX_LENGTH = 255


class ConversationCreateSerializer(serializers.Serializer):
    region = serializers.CharField(max_length=8)
    channel = serializers.ChoiceField(choices=Channel.choices)
    customer_id = serializers.CharField(
        max_length=100,
        required=False,
        help_text="A customer the client has verified itself; only for clients trusted to assert identity.",
    )


class ConversationCreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    region = serializers.CharField()
    verified_customer_id = serializers.CharField(allow_null=True)


class ToolCallRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    arguments = serializers.JSONField(
        default=dict, help_text="The tool's keyword arguments, checked against its JSON schema."
    )
    confirmed = serializers.BooleanField(
        default=False, help_text="The customer explicitly confirmed this write (required for writes)."
    )


class ToolCallExecutedSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="`executed`.")
    result = serializers.JSONField(help_text="The tool's result (a JSON shape of TOOLS.md).")


class ToolCallDeniedSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="`denied`.")
    code = serializers.CharField(
        help_text="`policy_denied` (the guard) or `tool_rule` (the marketplace tool)."
    )
    rule = serializers.CharField(
        help_text="The rule broken, e.g. auth.required, auth.own_data_only, confirm.required, "
        "sop.not_published, sop.auto_refund_cap, or the tool's name for a tool rule."
    )
    message = serializers.CharField(help_text="For a tool rule: the exact error text of TOOLS.md.")


class FeedbackSerializer(serializers.Serializer):
    csat = serializers.IntegerField(min_value=1, max_value=5)
    resolved = serializers.BooleanField()


class FeedbackGivenSerializer(FeedbackSerializer):
    id = serializers.UUIDField()


class TraceHandoffSerializer(serializers.Serializer):
    queue = serializers.CharField()
    summary = serializers.CharField()


class TraceEventSerializer(serializers.Serializer):
    # Plain strings rather than enums: enum components named "kind"/"status" collide across the API.
    kind = serializers.CharField(help_text=", ".join(ConversationEvent.Kind.values))
    data = serializers.DictField()
    at = serializers.DateTimeField()


class TraceToolCallSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    name = serializers.CharField()
    arguments = serializers.JSONField()
    confirmed = serializers.BooleanField()
    source = serializers.CharField(help_text=", ".join(ToolCall.Source.values))
    status = serializers.CharField(help_text=", ".join(ToolCall.Status.values))
    code = serializers.CharField(allow_blank=True)
    rule = serializers.CharField(allow_blank=True)
    message = serializers.CharField(allow_blank=True)
    result = serializers.JSONField(allow_null=True)
    duration_ms = serializers.FloatField()
    idempotency_key = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()


class TraceTotalsSerializer(serializers.Serializer):
    tool_calls = serializers.IntegerField()
    denied = serializers.IntegerField()
    failed = serializers.IntegerField()
    tool_ms = serializers.FloatField()


class ConversationTraceSerializer(serializers.Serializer):
    """Built from ``scenarios.trace.conversation_trace`` (a dict), never from the model directly."""

    id = serializers.UUIDField()
    region = serializers.CharField()
    channel = serializers.CharField()
    status = serializers.CharField()
    outcome = serializers.CharField(allow_blank=True)
    verified_customer_id = serializers.CharField(allow_null=True)
    verified_via = serializers.CharField(allow_blank=True)
    handoff = TraceHandoffSerializer(allow_null=True)
    feedback = FeedbackSerializer(allow_null=True)
    state = serializers.DictField(help_text="The flow runtime's slots, results and position.")
    created = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    turns = serializers.ListField(child=serializers.DictField(), help_text="Turns with their steps.")
    events = TraceEventSerializer(many=True)
    tool_calls = TraceToolCallSerializer(many=True)
    totals = TraceTotalsSerializer()
