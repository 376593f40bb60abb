"""Scenario tests in the admin: cases (edit, import a JSON file with a preview, export), runs
("run scenario tests" on cases or on scenario versions enqueues a run) and a results page per run
with each failure's expected vs actual."""

from __future__ import annotations

import json
from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from config.errors import DomainError
from scenarios.admin.flows import ScenarioVersionAdmin
from scenarios.admin.imports import SessionImportAdminMixin
from scenarios.models import ScenarioTestCase, ScenarioTestResult, ScenarioTestRun, ScenarioVersion
from scenarios.services.scenario_tests import (
    scenario_test_cases_export,
    scenario_test_cases_import,
    scenario_test_cases_parse,
    scenario_test_run_enqueue,
)

SESSION_KEY = "scenario_tests_import"
MAX_IMPORT_BYTES = 2_000_000
TEMPLATES = "admin/scenarios/scenario_tests"


class ScenarioTestCaseForm(forms.ModelForm):
    definition = forms.JSONField(widget=forms.Textarea(attrs={"rows": 30, "cols": 100}))

    class Meta:
        model = ScenarioTestCase
        fields = ["scenario", "name", "description", "enabled", "definition"]


class UploadForm(forms.Form):
    file = forms.FileField(help_text='A JSON file: {"scenario"?, "cases": [{"name", "definition", ...}]}.')


def _enqueue(request, versions_and_cases) -> None:
    runs = [
        scenario_test_run_enqueue(actor=request.user, version=version, case_names=names)
        for version, names in versions_and_cases
    ]
    messages.success(request, f"Queued {len(runs)} test run(s): {', '.join(str(r.pk) for r in runs)}.")


@admin.register(ScenarioTestCase)
class ScenarioTestCaseAdmin(SessionImportAdminMixin, ModelAdmin):
    form = ScenarioTestCaseForm
    list_display = ["name", "scenario", "enabled", "turn_count", "last_result", "updated"]
    list_filter = ["enabled", "scenario"]
    list_select_related = ["scenario"]
    search_fields = ["name", "description", "scenario__key"]
    autocomplete_fields = ["scenario"]
    readonly_fields = ["created", "updated"]
    actions = ["run_tests", "export_json"]
    actions_list = ["import_cases"]
    import_title = "Import tests"
    import_session_key = SESSION_KEY
    import_upload_form = UploadForm
    import_upload_template = f"{TEMPLATES}/import_upload.html"

    @admin.display(description="turns")
    def turn_count(self, obj):
        return len(obj.definition.get("turns", [])) if isinstance(obj.definition, dict) else 0

    @admin.display(description="last result")
    def last_result(self, obj):
        result = obj.results.order_by("-pk").first()
        if result is None:
            return "—"
        return "passed" if result.passed else f"failed ({len(result.failures)})"

    @admin.action(description="Run scenario tests (the newest released version)")
    def run_tests(self, request, queryset):
        by_scenario = defaultdict(list)
        for case in queryset.select_related("scenario"):
            by_scenario[case.scenario].append(case.name)
        planned, missing = [], []
        for scenario, names in by_scenario.items():
            version = (
                scenario.versions.filter(status=ScenarioVersion.Status.RELEASED).order_by("-number").first()
            )
            if version is None:
                missing.append(scenario.key)
            else:
                planned.append((version, names))
        if missing:
            messages.warning(request, f"No released version to test: {', '.join(missing)}.")
        if planned:
            _enqueue(request, planned)

    @admin.action(description="Export as JSON")
    def export_json(self, request, queryset):
        document = scenario_test_cases_export(
            queryset.select_related("scenario").order_by("scenario__key", "name")
        )
        response = HttpResponse(json.dumps(document, indent=2), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="scenario-tests.json"'
        return response

    @action(description="Import JSON", url_path="import-json", permissions=["add"], icon="upload")
    def import_cases(self, request):
        return redirect("admin:scenarios_scenariotestcase_import")

    def import_read(self, form) -> dict | list:
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_IMPORT_BYTES:
                raise ValueError(f"The file is larger than {MAX_IMPORT_BYTES} bytes.")
            document = json.loads(upload.read().decode("utf-8-sig"))
            scenario_test_cases_parse(document)
        except (ValueError, DomainError) as exc:
            raise forms.ValidationError(getattr(exc, "message", None) or str(exc)) from exc
        return document

    def import_preview(self, request, stashed, context):
        """Each case of the document (create / update / unchanged, errors) → import all or nothing."""
        if request.method == "POST" and "import" in request.POST:
            try:
                counts = scenario_test_cases_import(actor=request.user, document=stashed)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                return self.import_finished(
                    request,
                    f"Imported: {counts['create']} created, {counts['update']} updated, "
                    f"{counts['unchanged']} unchanged.",
                )
        rows = scenario_test_cases_parse(stashed)
        return TemplateResponse(
            request,
            f"{TEMPLATES}/import_preview.html",
            {**context, "rows": rows, "has_errors": any(r.errors for r in rows)},
        )


@admin.action(description="Run scenario tests")
def run_scenario_tests_on_versions(modeladmin, request, queryset):
    _enqueue(request, [(version, []) for version in queryset.select_related("scenario")])


# Added from here, not in flows.py, so the scenario-test feature stays in one module.
ScenarioVersionAdmin.actions = [*ScenarioVersionAdmin.actions, run_scenario_tests_on_versions]


class ScenarioTestResultInline(TabularInline):
    model = ScenarioTestResult
    fields = ["case", "passed", "failure_count", "duration_ms"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="failures")
    def failure_count(self, obj):
        return len(obj.failures) + (1 if obj.error else 0)


@admin.register(ScenarioTestRun)
class ScenarioTestRunAdmin(ModelAdmin):
    list_display = [
        "pk",
        "scenario_version",
        "status",
        "passed",
        "failed",
        "errors",
        "total",
        "created",
        "results_link",
    ]
    list_filter = ["status", "scenario_version__scenario"]
    list_select_related = ["scenario_version__scenario"]
    readonly_fields = [
        "scenario_version",
        "case_names",
        "status",
        "requested_by",
        "created",
        "started_at",
        "finished_at",
        "total",
        "passed",
        "failed",
        "errors",
        "error",
        "results_link",
    ]
    inlines = [ScenarioTestResultInline]

    def has_add_permission(self, request):
        return False  # runs are started by the "run scenario tests" actions

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="results")
    def results_link(self, obj):
        url = reverse("admin:scenarios_scenariotestrun_results", args=[obj.pk])
        return format_html('<a href="{}">results</a>', url)

    def get_urls(self):
        return [
            path(
                "<int:run_id>/results/",
                self.admin_site.admin_view(self.results_view),
                name="scenarios_scenariotestrun_results",
            ),
            *super().get_urls(),
        ]

    def results_view(self, request, run_id: int):
        if not self.has_view_permission(request):
            return redirect("admin:index")
        run = ScenarioTestRun.objects.select_related("scenario_version__scenario").get(pk=run_id)
        results = run.results.select_related("case").order_by("passed", "case__name")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Results of test run {run.pk}",
            "run": run,
            "results": results,
        }
        return TemplateResponse(request, f"{TEMPLATES}/results.html", context)
