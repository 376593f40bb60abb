"""Scenario versions (the flow JSON with its validation errors, each naming its step), routing rules
in their evaluation order, and the SOP clause coverage of the flows."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin
from unfold.decorators import action

from aftersales.models import Sop
from config.errors import DomainError
from scenarios.flows.selectors import clause_coverage
from scenarios.models import RoutingRule, ScenarioVersion
from scenarios.services.flows import (
    agent_errors,
    flow_errors,
    scenario_version_create,
    scenario_version_release,
    scenario_version_retire,
    scenario_version_update,
)


class ScenarioVersionForm(forms.ModelForm):
    definition = forms.JSONField(required=False, widget=forms.Textarea(attrs={"rows": 30, "cols": 100}))

    class Meta:
        model = ScenarioVersion
        fields = ["scenario", "kind", "definition", "instructions", "allowed_tools", "change_summary"]

    def clean(self):
        """The flow's errors on the form, each naming its step, before any service runs."""
        data = super().clean()
        if data.get("kind") == ScenarioVersion.Kind.AGENT:
            errors = agent_errors(data.get("allowed_tools") or [])
        else:
            errors = flow_errors(data.get("definition") or {})
        for error in errors:
            self.add_error("definition", f"{error.step or 'flow'}: {error.message} [{error.code}]")
        return data


@admin.register(ScenarioVersion)
class ScenarioVersionAdmin(ModelAdmin):
    form = ScenarioVersionForm
    list_display = ["__str__", "scenario", "number", "kind", "status", "error_count", "released_at"]
    list_filter = ["status", "kind", "scenario"]
    list_select_related = ["scenario"]
    search_fields = ["scenario__key", "change_summary"]
    autocomplete_fields = ["scenario"]
    readonly_fields = [
        "number",
        "status",
        "content_hash",
        "validation",
        "created_by",
        "created",
        "released_at",
        "retired_at",
    ]
    actions = ["release", "retire"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_draft:  # released: immutable, edit = a new draft
            return [*self.form.Meta.fields, *self.readonly_fields]
        return self.readonly_fields

    @staticmethod
    def _errors(obj):
        if obj.kind == ScenarioVersion.Kind.FLOW:
            return flow_errors(obj.definition)
        return agent_errors(obj.allowed_tools)

    @admin.display(description="errors")
    def error_count(self, obj):
        return len(self._errors(obj))

    @admin.display(description="validation")
    def validation(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        errors = self._errors(obj)
        if not errors:
            return "Valid."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong> <code>{}</code> {}</li>",
                ((e.step or "flow", e.code, e.message) for e in errors),
            ),
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                saved = scenario_version_update(
                    actor=request.user,
                    version=obj,
                    definition=data.get("definition") or {},
                    instructions=data.get("instructions", ""),
                    allowed_tools=data.get("allowed_tools") or [],
                    change_summary=data.get("change_summary", ""),
                )
            else:
                saved = scenario_version_create(
                    actor=request.user,
                    scenario=data["scenario"],
                    kind=data["kind"],
                    definition=data.get("definition") or {},
                    instructions=data.get("instructions", ""),
                    allowed_tools=data.get("allowed_tools") or [],
                    change_summary=data.get("change_summary", ""),
                )
        except DomainError as error:  # the form validated the flow; what is left is a lost race
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)
            return
        obj.pk, obj.number = saved.pk, saved.number

    @action(description="Release the selected drafts")
    def release(self, request, queryset):
        self._each(request, queryset, scenario_version_release, "released")

    @action(description="Retire the selected released versions")
    def retire(self, request, queryset):
        self._each(request, queryset, scenario_version_retire, "retired")

    def _each(self, request, queryset, service, verb):
        done = 0
        for version in queryset.select_related("scenario"):
            try:
                service(actor=request.user, version=version)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{version}: {error.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} version(s) {verb}.", messages.SUCCESS)

    def get_urls(self):
        coverage = path(
            "coverage/",
            self.admin_site.admin_view(self.coverage_view),
            name="scenarios_scenarioversion_coverage",
        )
        return [coverage, *super().get_urls()]

    def coverage_view(self, request):
        """Per SOP clause: the flow steps that implement it; clauses no step covers stand out."""
        sops = [(sop, clause_coverage(sop)) for sop in Sop.objects.order_by("key")]
        context = {
            **self.admin_site.each_context(request),
            "title": "SOP clause coverage of the flows",
            "sops": sops,
            "uncovered": sum(1 for _, clauses in sops for c in clauses if not c["steps"]),
        }
        return TemplateResponse(request, "admin/scenarios/flow_coverage.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "coverage_url": reverse("admin:scenarios_scenarioversion_coverage"),
        }
        return super().changelist_view(request, extra_context)


@admin.register(RoutingRule)
class RoutingRuleAdmin(ModelAdmin):
    """Listed in evaluation order: per region and channel, lowest priority first."""

    list_display = [
        "region",
        "channel_label",
        "priority",
        "scenario",
        "scenario_version",
        "min_confidence",
        "action",
        "queue",
        "is_active",
    ]
    list_filter = ["region", "channel", "action", "is_active"]
    list_select_related = ["region", "scenario", "scenario_version__scenario"]
    autocomplete_fields = ["scenario", "scenario_version"]
    ordering = ["region__code", "channel", "priority", "pk"]
    readonly_fields = ["created"]

    @admin.display(description="channel", ordering="channel")
    def channel_label(self, obj):
        return obj.channel or "any"
