import csv
import io

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from unfold.admin import ModelAdmin
from unfold.decorators import action

from aftersales.models import Region
from config.errors import DomainError
from scenarios.admin.imports import SessionImportAdminMixin
from scenarios.models import Scenario, TrainingExample
from scenarios.services.examples import training_examples_import

SESSION_KEY = "scenarios_import_rows"
MAX_IMPORT_ROWS = 50_000
SKIP = ""


@admin.register(Scenario)
class ScenarioAdmin(ModelAdmin):
    list_display = ["key", "name", "is_active", "example_count"]
    list_filter = ["is_active", "regions"]
    search_fields = ["key", "name", "description"]
    filter_horizontal = ["regions"]
    readonly_fields = ["created", "updated"]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_examples=Count("examples"))

    @admin.display(description="examples", ordering="n_examples")
    def example_count(self, obj):
        return obj.n_examples


class UploadForm(forms.Form):
    file = forms.FileField(help_text="UTF-8 CSV with a header row.")
    text_column = forms.CharField(initial="text")
    label_column = forms.CharField(initial="label")
    language = forms.CharField(initial="en", max_length=16)
    region = forms.ModelChoiceField(Region.objects.all(), required=False, help_text="Empty: every region.")


def _mapping_form(labels: list[str], counts: dict[str, int]):
    choices = [(SKIP, "— skip —"), *[(s.key, s.key) for s in Scenario.objects.order_by("key")]]
    keys = {key for key, _ in choices}
    fields = {
        f"map_{i}": forms.ChoiceField(
            choices=choices,
            required=False,
            label=f"{label} ({counts[label]} rows)",
            initial=label if label in keys else SKIP,
        )
        for i, label in enumerate(labels)
    }
    return type("MappingForm", (forms.Form,), fields)


@admin.register(TrainingExample)
class TrainingExampleAdmin(SessionImportAdminMixin, ModelAdmin):
    list_display = ["text", "scenario", "language", "region", "source", "created"]
    list_filter = ["scenario", "source", "language", "region"]
    list_select_related = ["scenario", "region"]
    search_fields = ["text"]
    autocomplete_fields = ["scenario"]
    readonly_fields = ["created"]
    list_per_page = 100
    actions_list = ["import_examples"]
    import_title = "Import examples"
    import_session_key = SESSION_KEY
    import_upload_form = UploadForm
    import_upload_template = "admin/scenarios/import_upload.html"

    @action(description="Import CSV", url_path="import-csv", permissions=["add"], icon="upload")
    def import_examples(self, request):
        return redirect("admin:scenarios_trainingexample_import")

    def import_read(self, form) -> dict:
        try:
            content = form.cleaned_data["file"].read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8.") from exc
        reader = csv.DictReader(io.StringIO(content))
        text_col, label_col = form.cleaned_data["text_column"], form.cleaned_data["label_column"]
        if not {text_col, label_col} <= set(reader.fieldnames or []):
            raise forms.ValidationError(f"Columns found: {', '.join(reader.fieldnames or [])}.")
        rows = [[r[text_col].strip(), r[label_col].strip()] for r in reader if (r[text_col] or "").strip()]
        if len(rows) > MAX_IMPORT_ROWS:
            raise forms.ValidationError(f"At most {MAX_IMPORT_ROWS} rows per import.")
        return {
            "rows": rows,
            "language": form.cleaned_data["language"],
            "region": form.cleaned_data["region"].pk if form.cleaned_data["region"] else None,
        }

    def import_preview(self, request, stashed, context):
        """The rows' labels, each mapped to a scenario (or skipped) → import."""
        counts: dict[str, int] = {}
        for _, label in stashed["rows"]:
            counts[label] = counts.get(label, 0) + 1
        labels = sorted(counts)
        form = _mapping_form(labels, counts)(request.POST or None)
        if request.method == "POST" and form.is_valid():
            mapping = {label: form.cleaned_data[f"map_{i}"] for i, label in enumerate(labels)}
            try:
                result = training_examples_import(
                    actor=request.user,
                    rows=[tuple(row) for row in stashed["rows"]],
                    mapping={k: v for k, v in mapping.items() if v},
                    language=stashed["language"],
                    region=Region.objects.filter(pk=stashed["region"]).first(),
                    source=TrainingExample.Source.CSV,
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                return self.import_finished(
                    request,
                    f"Imported {result.created} examples ({result.duplicates} already there, "
                    f"{result.unmapped} rows of unmapped labels skipped).",
                )
        preview = stashed["rows"][:20]
        return TemplateResponse(
            request,
            "admin/scenarios/import_map.html",
            {**context, "form": form, "preview": preview, "n_rows": len(stashed["rows"])},
        )
