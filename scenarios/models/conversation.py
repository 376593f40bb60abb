"""Conversations of the chatbot runtime and what happened in them: status events and tool calls.

The flow engine keeps its own position, slots and results in ``Conversation.state``; this module owns
the envelope (who, where, verified as whom, how it ended) and the audit trail of every tool call.
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Channel(models.TextChoices):
    CHAT = "chat", "chat"
    WEB = "web", "web"
    APP = "app", "app"
    EMAIL = "email", "email"


class Conversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "open"
        ENDED = "ended", "ended"

    class Outcome(models.TextChoices):
        NONE = "", "—"
        RESOLVED = "resolved", "resolved"
        HANDED_OFF = "handed_off", "handed off"
        ABANDONED = "abandoned", "abandoned"

    class VerifiedVia(models.TextChoices):
        NONE = "", "not verified"
        ASSERTED = "asserted", "asserted by the API client"
        EMAIL = "email", "email"
        NAME_ZIP = "name_zip", "name and zip"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Not indexed alone: conversation_region_created leads with region_id (and on PostgreSQL the implicit
    # FK index came with a varchar_pattern_ops twin that only LIKE 'prefix%' would use).
    region = models.ForeignKey(
        "aftersales.Region", on_delete=models.PROTECT, related_name="conversations", db_index=False
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    api_client = models.ForeignKey(
        "aftersales.ApiClient",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        db_index=False,  # indexed in Meta.indexes (the implicit index brings a _like twin)
    )
    # The VERIFIED customer: set once, by an identity-asserting client or a successful find_user_id_* call.
    customer = models.ForeignKey(
        "aftersales.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        db_index=False,  # indexed in Meta.indexes (the implicit index brings a _like twin)
    )
    verified_via = models.CharField(max_length=16, choices=VerifiedVia.choices, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)  # in Meta.indexes
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    handoff_queue = models.CharField(max_length=64, blank=True, default="")
    handoff_summary = models.TextField(blank=True, default="")
    state = models.JSONField(default=dict, blank=True)
    # The scenario version whose flow serves the conversation (set when routing picks it).
    scenario_version = models.ForeignKey(
        "scenarios.ScenarioVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    csat = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    resolved_by_customer = models.BooleanField(null=True, blank=True)
    # Counters of the conversation's tool calls and turns: the next ToolCall.seq / Turn.index is
    # taken by incrementing them, so that taking the row lock, the sequence number and the fields the
    # guard needs is one statement (UPDATE ... RETURNING), not a lock plus a MAX() read.
    tool_call_count = models.PositiveIntegerField(default=0, editable=False)
    turn_count = models.PositiveIntegerField(default=0, editable=False)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        # Every index here is written by each non-HOT UPDATE of the row, and a turn and every tool call
        # update it: keep only what a query needs. Status, API client and customer are plain indexes
        # here rather than db_index=True, which on PostgreSQL adds a varchar_pattern_ops (_like) twin
        # for LIKE 'prefix%' that nothing runs. They serve the admin's status filter and the FK
        # SET_NULL of an API client's or a customer's delete; region lookups use region_created.
        indexes = [
            models.Index(fields=["region", "-created"], name="conversation_region_created"),
            models.Index(fields=["status"], name="conversation_status"),
            models.Index(fields=["api_client"], name="conversation_api_client"),
            models.Index(fields=["customer"], name="conversation_customer"),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class ConversationEvent(models.Model):
    """The business audit trail of a conversation's status changes (one row per change)."""

    class Kind(models.TextChoices):
        OPENED = "opened", "opened"
        CUSTOMER_VERIFIED = "customer_verified", "customer verified"
        ENDED = "ended", "ended"
        HANDED_OFF = "handed_off", "handed off"
        FEEDBACK = "feedback", "feedback"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "created", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.conversation_id})"


class ToolCall(models.Model):
    """One call through the gateway, executed or denied, with its arguments, result and duration."""

    class Source(models.TextChoices):
        API = "api", "API"
        FLOW = "flow", "flow"
        AGENT = "agent", "agent"

    class Status(models.TextChoices):
        EXECUTED = "executed", "executed"
        DENIED = "denied", "denied"
        FAILED = "failed", "failed"

    # No index of its own: the unique (conversation, seq) index serves lookups by conversation.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="tool_calls", db_index=False
    )
    seq = models.PositiveIntegerField(help_text="Place of the call in its conversation, from 1.")
    name = models.CharField(max_length=64)
    arguments = models.JSONField(default=dict, blank=True)
    confirmed = models.BooleanField(default=False)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    status = models.CharField(max_length=12, choices=Status.choices)
    code = models.CharField(max_length=64, blank=True, default="")
    rule = models.CharField(max_length=100, blank=True, default="")
    message = models.TextField(blank=True, default="")
    result = models.JSONField(null=True, blank=True)
    duration_ms = models.FloatField(default=0)
    # Keys are scoped per API client (its id; "internal" for conversations no client opened): a key
    # another client happens to choose must neither replay this client's stored result nor collide.
    key_scope = models.CharField(max_length=150, blank=True, default="")
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_hash = models.CharField(max_length=64, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="toolcall_conversation_seq"),
            models.UniqueConstraint(
                fields=["key_scope", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="toolcall_client_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.seq} ({self.status})"
