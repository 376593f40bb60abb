"""Scenario tests in the style of Rasa's end-to-end tests: a case is a region, a starting marketplace
fixture, the customer's messages and assertions (the JSON format is `scenarios.engine.assertions`);
a run plays the enabled cases of one scenario version, each inside a rolled-back transaction, and
keeps one result per case."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class ScenarioTestCase(models.Model):
    scenario = models.ForeignKey("scenarios.Scenario", on_delete=models.CASCADE, related_name="test_cases")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    definition = models.JSONField(
        default=dict,
        help_text="Region, channel, fixture, turns and assertions (format: scenarios/engine/assertions.py).",
    )
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scenario__key", "name"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "name"], name="scenariotestcase_scenario_name")
        ]

    def __str__(self) -> str:
        return f"{self.scenario.key} / {self.name}" if self.scenario_id else self.name

    def clean(self) -> None:
        from scenarios.engine.assertions import definition_errors

        errors = definition_errors(self.definition)
        if errors:
            raise ValidationError({"definition": errors})


class ScenarioTestRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        PASSED = "passed", "passed"
        FAILED = "failed", "failed"
        ERROR = "error", "error"

    scenario_version = models.ForeignKey(
        "scenarios.ScenarioVersion", on_delete=models.CASCADE, related_name="test_runs"
    )
    case_names = models.JSONField(
        default=list, blank=True, help_text="The cases to run; empty: every enabled case of the scenario."
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the whole run could not complete.")

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"test run {self.pk} of {self.scenario_version}"


class ScenarioTestResult(models.Model):
    run = models.ForeignKey(ScenarioTestRun, on_delete=models.CASCADE, related_name="results")
    case = models.ForeignKey(ScenarioTestCase, on_delete=models.CASCADE, related_name="results")
    passed = models.BooleanField()
    error = models.TextField(blank=True, help_text="An exception that stopped the case (not an assertion).")
    failures = models.JSONField(
        default=list, blank=True, help_text="Each failed assertion: where, what, expected, actual."
    )
    # The conversation was rolled back with the rest of the case: its id names the trace that was,
    # and the transcript keeps what the customer and the bot said.
    conversation_id = models.UUIDField(null=True, blank=True)
    transcript = models.JSONField(default=list, blank=True)
    duration_ms = models.FloatField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "case__name"]
        constraints = [models.UniqueConstraint(fields=["run", "case"], name="scenariotestresult_run_case")]

    def __str__(self) -> str:
        return f"{self.case} in run {self.run_id}: {'passed' if self.passed else 'failed'}"
