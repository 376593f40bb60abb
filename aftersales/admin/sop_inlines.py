"""Inlines and forms of the SOP admin (aftersales.admin.sops): content rows editable only on a
draft and only with the model's permission; history rows never editable."""

from __future__ import annotations

from django import forms
from unfold.admin import TabularInline
from unfold.decorators import display

from aftersales.models import (
    Region,
    SopClause,
    SopClauseOverride,
    SopParameter,
    SopParameterOverride,
    SopPublication,
    SopRegionalOverride,
    SopSignOff,
    SopVersion,
    SopVersionEvent,
)


class DraftContentInline(TabularInline):
    extra = 0

    def _version(self, obj):
        return obj.version if isinstance(obj, SopRegionalOverride) else obj

    def _editable(self, request, obj, perm: str) -> bool:
        version = self._version(obj) if obj is not None else None
        opts = self.model._meta
        return (
            version is not None
            and version.is_draft
            and request.user.has_perm(f"{opts.app_label}.{perm}_{opts.model_name}")
        )

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj, "add")

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj, "change")

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj, "delete")


class SopClauseInline(DraftContentInline):
    model = SopClause
    fields = ["position", "clause_id", "title", "text"]


class SopParameterInline(DraftContentInline):
    model = SopParameter
    fields = ["name", "type", "value", "unit", "min_value", "max_value", "choices", "description"]


class SopRegionalOverrideInline(DraftContentInline):
    model = SopRegionalOverride
    fields = ["region", "note", "summary"]
    readonly_fields = ["summary"]
    show_change_link = True
    verbose_name_plural = "regional variants"

    @display(description="overrides")
    def summary(self, obj):
        if not obj.pk:
            return ""
        clauses = [c.clause_id for c in obj.clauses.all()]
        parameters = [f"{p.name}={p.value}" for p in obj.parameters.all()]
        return ", ".join(clauses + parameters)


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SopSignOffInline(ReadOnlyInline):
    model = SopSignOff
    fields = ["reviewer", "decision", "comment", "content_hash", "created_at", "voided_at", "void_reason"]
    readonly_fields = fields
    verbose_name_plural = "sign-offs"


class SopVersionEventInline(ReadOnlyInline):
    model = SopVersionEvent
    fields = ["at", "actor", "from_status", "to_status", "comment"]
    readonly_fields = fields
    verbose_name_plural = "history"


class SopPublicationInline(ReadOnlyInline):
    model = SopPublication
    fields = ["region", "status", "effective_at", "retired_at", "published_by"]
    readonly_fields = fields
    verbose_name_plural = "publications"


# --- versions --------------------------------------------------------------------------------------


class SopClauseOverrideInline(DraftContentInline):
    model = SopClauseOverride
    fields = ["clause_id", "title", "text"]


class SopParameterOverrideInline(DraftContentInline):
    model = SopParameterOverride
    fields = ["name", "value", "unit"]


class SopVersionHistoryInline(ReadOnlyInline):
    model = SopVersion
    fields = ["number", "status", "author", "change_summary", "submitted_at", "published_at", "retired_at"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "versions (history)"
    ordering = ["-number"]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=SopSignOff.Decision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    seen_hash = forms.CharField(widget=forms.HiddenInput)


class PublishForm(forms.Form):
    regions = forms.ModelMultipleChoiceField(
        queryset=Region.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every region of the SOP.",
    )
    effective_at = forms.DateTimeField(
        required=False,
        help_text="Empty: now. A later time schedules it (the beat task makes it effective).",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    comment = forms.CharField(required=False)


class CommentForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
