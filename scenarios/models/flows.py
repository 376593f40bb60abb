"""Scenario versions (flows and agents), the SOP clauses scenarios cite, routing rules, and the trace
of every conversation turn (a Turn and the steps it ran)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class ScenarioVersion(models.Model):
    """One immutable version of a scenario once released; an edit is a new draft (services)."""

    class Kind(models.TextChoices):
        FLOW = "flow", "flow"
        AGENT = "agent", "agent"

    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        RELEASED = "released", "released"
        RETIRED = "retired", "retired"

    scenario = models.ForeignKey("scenarios.Scenario", on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FLOW)
    definition = models.JSONField(default=dict, blank=True, help_text="The flow (see docs/flows.md).")
    instructions = models.TextField(blank=True, help_text="Agent mode: what the LLM is told to do.")
    allowed_tools = models.JSONField(
        default=list, blank=True, help_text="Agent mode: tool names it may call."
    )
    content_hash = models.CharField(max_length=64, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    change_summary = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scenario__key", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "number"], name="scenarioversion_unique_number"),
            # One draft per scenario: two parallel drafts would each miss the other's edits.
            models.UniqueConstraint(
                fields=["scenario"], condition=Q(status="draft"), name="scenarioversion_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scenario.key} v{self.number} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def sop_key(self) -> str:
        return (self.definition or {}).get("sop") or ""


class ScenarioClause(models.Model):
    """An SOP clause a scenario implements (synced from its flow's steps when a version is released)."""

    scenario = models.ForeignKey("scenarios.Scenario", on_delete=models.CASCADE, related_name="clauses")
    sop = models.ForeignKey("aftersales.Sop", on_delete=models.CASCADE, related_name="scenario_clauses")
    clause_id = models.CharField(max_length=20)

    class Meta:
        ordering = ["sop__key", "clause_id"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "sop", "clause_id"], name="scenarioclause_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scenario.key} cites {self.clause_id}"


class RoutingRule(models.Model):
    """Ordered per region and channel: the first active rule matching the identified scenario (and
    its confidence) decides. A rule without a scenario matches any identification, out of scope
    included — the fallback at the end of a region's list."""

    class Action(models.TextChoices):
        ROUTE = "route", "route to the scenario"
        CLARIFY = "clarify", "ask the customer to clarify"
        HANDOFF = "handoff", "hand off to a human queue"

    region = models.ForeignKey("aftersales.Region", on_delete=models.CASCADE, related_name="routing_rules")
    channel = models.CharField(max_length=16, blank=True, default="", help_text="Empty: any channel.")
    priority = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    scenario = models.ForeignKey(
        "scenarios.Scenario",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
        help_text="Empty: any identified scenario, and out-of-scope messages.",
    )
    scenario_version = models.ForeignKey(
        ScenarioVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routing_rules",
        help_text="Empty: the newest released version of the scenario.",
    )
    min_confidence = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.ROUTE)
    queue = models.CharField(
        max_length=64, blank=True, default="", help_text="The human queue of a hand-off."
    )
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region__code", "channel", "priority", "pk"]
        indexes = [models.Index(fields=["region", "channel", "priority"], name="routingrule_lookup")]

    def __str__(self) -> str:
        target = self.scenario.key if self.scenario_id else "*"
        return f"{self.region_id}/{self.channel or '*'} #{self.priority} {target} → {self.action}"

    def clean(self):
        errors = {}
        if self.action == self.Action.ROUTE and not self.scenario_id:
            errors["scenario"] = "A route rule names the scenario it routes to."
        if self.action == self.Action.HANDOFF and not self.queue:
            errors["queue"] = "A hand-off rule names its human queue."
        if self.scenario_version_id and self.scenario_version.scenario_id != self.scenario_id:
            errors["scenario_version"] = "The version must be a version of the rule's scenario."
        elif self.scenario_version_id and self.scenario_version.status != ScenarioVersion.Status.RELEASED:
            errors["scenario_version"] = "Only a released version can serve customers."
        if errors:
            raise ValidationError(errors)


class Turn(models.Model):
    """One customer message and everything the runtime did to answer it."""

    class Decision(models.TextChoices):
        ROUTE = "route", "routed to a scenario"
        CONTINUE = "continue", "continued the active flow"
        CLARIFY = "clarify", "asked to clarify"
        HANDOFF = "handoff", "handed off by routing"

    # No index of its own: the unique (conversation, index) index serves lookups by conversation.
    conversation = models.ForeignKey(
        "scenarios.Conversation", on_delete=models.CASCADE, related_name="turns", db_index=False
    )
    index = models.PositiveIntegerField(help_text="From 1.")
    customer_text = models.TextField()
    reply = models.TextField(blank=True)
    scenario_key = models.CharField(max_length=64, blank=True, default="", help_text="As identified.")
    scenario_version = models.ForeignKey(
        ScenarioVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="turns"
    )
    confidence = models.FloatField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    identification = models.JSONField(default=dict, blank=True, help_text="Model, candidates, latency.")
    state = models.JSONField(default=dict, blank=True, help_text="The flow state after the turn.")
    actions = models.JSONField(default=list, blank=True)
    handoff = models.JSONField(null=True, blank=True)
    ended = models.BooleanField(default=False)
    duration_ms = models.FloatField(default=0)
    # Written with the turn, in its one INSERT (a row per step cost a statement per turn and was only
    # ever read with its turn): [{"step", "type", "clause", "detail", "duration_ms"}, ...] in order.
    steps = models.JSONField(default=list, blank=True, help_text="The steps the turn ran, in order.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "index"]
        constraints = [models.UniqueConstraint(fields=["conversation", "index"], name="turn_unique_index")]

    def __str__(self) -> str:
        return f"turn {self.index} of {self.conversation_id}"
