"""Admin for SOPs: inline editing of drafts, the review and publish actions, diffs, the consistency
report, Markdown export and the history of every version.

Role rules come from permissions (aftersales.roles) plus the version's status: content is editable
only on a draft and only with the change permission (editors); review needs review_sopversion
(reviewers, never the author); publish needs publish_sopversion (release managers). The services
check the same again, so a crafted POST gets nowhere either.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display

from aftersales.admin.scoping import RegionScopedAdminMixin
from aftersales.admin.sop_inlines import (
    CommentForm,
    PublishForm,
    ReviewForm,
    SopClauseInline,
    SopClauseOverrideInline,
    SopParameterInline,
    SopParameterOverrideInline,
    SopPublicationInline,
    SopRegionalOverrideInline,
    SopSignOffInline,
    SopVersionEventInline,
    SopVersionHistoryInline,
)
from aftersales.models import (
    Sop,
    SopConstraint,
    SopPublication,
    SopRegionalOverride,
    SopReviewPolicy,
    SopReviewRequirement,
    SopVersion,
)
from aftersales.selectors.sops import (
    sop_live_publications,
    sop_version_resolved,
    sop_version_review_progress,
    sop_version_with_content,
    sop_versions_awaiting_review,
)
from aftersales.services.sops import (
    sop_create,
    sop_version_content_changed,
    sop_version_edit,
    sop_version_publish,
    sop_version_review,
    sop_version_submit,
)
from aftersales.sops.consistency import sop_consistency_report
from aftersales.sops.diff import diff_regions, diff_versions
from aftersales.sops.markdown import sop_markdown
from config.errors import DomainError

TEMPLATES = "admin/aftersales/sops"


def _page(admin_obj, request, template: str, title: str, **context) -> TemplateResponse:
    return TemplateResponse(
        request,
        f"{TEMPLATES}/{template}",
        {
            **admin_obj.admin_site.each_context(request),
            "opts": admin_obj.model._meta,
            "title": title,
            **context,
        },
    )


def _change_url(obj) -> str:
    return reverse(f"admin:aftersales_{obj._meta.model_name}_change", args=[obj.pk])


def _run(request, call, success: str) -> bool:
    """Run a service; a domain error becomes an error message instead of a 500."""
    try:
        call()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


class AwaitingMyReviewFilter(admin.SimpleListFilter):
    title = "review queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("mine", "Awaiting my review")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(pk__in=sop_versions_awaiting_review(request.user).values("pk"))
        return queryset


@admin.register(SopVersion)
class SopVersionAdmin(ModelAdmin):
    list_display = [
        "__str__",
        "sop",
        "number",
        "status",
        "author",
        "submitted_at",
        "review_due_at",
        "regions_live",
    ]
    list_filter = [AwaitingMyReviewFilter, "status", "sop"]
    list_select_related = ["sop", "author"]
    search_fields = ["sop__key", "sop__title", "change_summary"]
    fields = [
        "sop",
        "number",
        "status",
        "based_on",
        "author",
        "change_summary",
        "content_hash",
        "created_at",
        "submitted_at",
        "review_due_at",
        "approved_at",
        "published_at",
        "retired_at",
        "review_progress",
    ]
    inlines = [
        SopClauseInline,
        SopParameterInline,
        SopRegionalOverrideInline,
        SopSignOffInline,
        SopVersionEventInline,
        SopPublicationInline,
    ]
    actions_detail = [
        "submit_action",
        "review_action",
        "publish_action",
        "edit_action",
        "diff_action",
        "markdown_action",
    ]

    def get_readonly_fields(self, request, obj=None):
        editable = {"change_summary"} if obj is not None and obj.is_draft else set()
        return [f for f in self.fields if f not in editable]

    def has_add_permission(self, request):
        return False  # versions come from a new SOP or from "edit", never from a blank form

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.is_draft)

    def has_delete_permission(self, request, obj=None):
        return False  # the history is the audit trail

    @display(description="live in")
    def regions_live(self, obj):
        return ", ".join(sorted(p.region_id for p in obj.publications.all() if p.status == "published"))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("publications")

    @display(description="review progress")
    def review_progress(self, obj):
        progress = sop_version_review_progress(obj)
        rows = [
            (
                r.label,
                f"{len(r.approvers)}/{r.needed}",
                ", ".join(r.approvers) or "—",
                "✔" if r.satisfied else "…",
            )
            for r in progress.requirements
        ]
        table = format_html_join("", "<div>{}: {} ({}) {}</div>", rows)
        if progress.changes_requested_by:
            table += format_html(
                "<div>changes requested by {}</div>", ", ".join(progress.changes_requested_by)
            )
        return table or "no requirements"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Inline rows were written by the formsets: re-check the version is still a draft (under
        # its row lock) and refresh the hash that reviewers will sign.
        sop_version_content_changed(actor=request.user, version=form.instance)

    # --- detail actions ---

    def _version(self, object_id) -> SopVersion:
        return get_object_or_404(self.get_queryset_plain(), pk=object_id)

    def get_queryset_plain(self):
        return SopVersion.objects.select_related("sop", "author", "based_on")

    def _form_page(self, request, version, form, *, title, submit, intro=""):
        return _page(
            self,
            request,
            "action_form.html",
            title,
            version=version,
            original=version,
            form=form,
            submit_label=submit,
            intro=intro,
            back_url=_change_url(version),
        )

    def has_submit_permission(self, request, object_id=None):
        return request.user.has_perm("aftersales.submit_sopversion")

    @action(description="Submit for review", url_path="submit", permissions=["submit"])
    def submit_action(self, request, object_id):
        version = self._version(object_id)
        form = CommentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            comment = form.cleaned_data["comment"]
            _run(
                request,
                lambda: sop_version_submit(actor=request.user, version=version, comment=comment),
                f"v{version.number} submitted for review.",
            )
            return redirect(_change_url(version))
        return self._form_page(request, version, form, title=f"Submit {version}", submit="Submit for review")

    def has_review_permission(self, request, object_id=None):
        return request.user.has_perm("aftersales.review_sopversion")

    @action(description="Review", url_path="review", permissions=["review"])
    def review_action(self, request, object_id):
        version = self._version(object_id)
        form = ReviewForm(request.POST or None, initial={"seen_hash": version.content_hash})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            _run(
                request,
                lambda: sop_version_review(
                    actor=request.user,
                    version=version,
                    decision=data["decision"],
                    comment=data["comment"],
                    seen_hash=data["seen_hash"],
                ),
                f"Your decision on v{version.number} is recorded.",
            )
            return redirect(_change_url(version))
        content = sop_version_with_content(version.pk)
        diff = diff_versions(version.based_on, content) if version.based_on_id else None
        return _page(
            self,
            request,
            "review.html",
            f"Review {version}",
            version=version,
            original=version,
            form=form,
            diff=diff,
            progress=sop_version_review_progress(version),
            back_url=_change_url(version),
        )

    def has_publish_permission(self, request, object_id=None):
        return request.user.has_perm("aftersales.publish_sopversion")

    @action(description="Publish", url_path="publish", permissions=["publish"])
    def publish_action(self, request, object_id):
        version = self._version(object_id)
        form = PublishForm(request.POST or None)
        form.fields["regions"].queryset = version.sop.regions.all()
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            codes = [r.code for r in data["regions"]] or None
            _run(
                request,
                lambda: sop_version_publish(
                    actor=request.user,
                    version=version,
                    region_codes=codes,
                    effective_at=data["effective_at"],
                    comment=data["comment"],
                ),
                f"v{version.number} published.",
            )
            return redirect(_change_url(version))
        return self._form_page(
            request,
            version,
            form,
            title=f"Publish {version}",
            submit="Publish",
            intro="Publishing retires the version in force in each region chosen.",
        )

    def has_edit_permission(self, request, object_id=None):
        return request.user.has_perm("aftersales.change_sopversion")

    @action(description="Edit as new draft", url_path="edit", permissions=["edit"])
    def edit_action(self, request, object_id):
        version = self._version(object_id)
        if version.is_draft:
            return redirect(_change_url(version))
        form = CommentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            drafts = []
            ok = _run(
                request,
                lambda: drafts.append(
                    sop_version_edit(
                        actor=request.user, version=version, change_summary=form.cleaned_data["comment"]
                    )
                ),
                "New draft created.",
            )
            return redirect(_change_url(drafts[0] if ok else version))
        intro = "A copy of this version becomes the new draft."
        if version.status in (SopVersion.Status.IN_REVIEW, SopVersion.Status.APPROVED):
            intro += " This version is then retired and its sign-offs are void."
        return self._form_page(
            request, version, form, title=f"Edit {version}", submit="Create draft", intro=intro
        )

    @action(description="Diff", url_path="diff", permissions=["view"])
    def diff_action(self, request, object_id):
        version = sop_version_with_content(self._version(object_id).pk)
        others = list(version.sop.versions.order_by("-number"))
        region_codes = list(version.sop.regions.values_list("code", flat=True))
        mode = request.GET.get("mode", "versions")
        region = request.GET.get("region") or None
        if mode == "regions":
            left = request.GET.get("left") or (region_codes[0] if region_codes else None)
            right = request.GET.get("right") or (region_codes[-1] if region_codes else None)
            diff = diff_regions(version, left, right)
        else:
            default = version.based_on_id or (others[-1].pk if others else version.pk)
            against_id = request.GET.get("against") or default
            against = sop_version_with_content(
                get_object_or_404(SopVersion, pk=against_id, sop=version.sop).pk
            )
            left, right = (against, version) if against.number <= version.number else (version, against)
            diff = diff_versions(left, right, region)
        return _page(
            self,
            request,
            "diff.html",
            f"Diff of {version.sop.key}",
            version=version,
            original=version,
            diff=diff,
            others=others,
            region_codes=region_codes,
            mode=mode,
            params=request.GET,
            back_url=_change_url(version),
        )

    @action(description="Export Markdown", url_path="markdown", permissions=["view"])
    def markdown_action(self, request, object_id):
        version = sop_version_with_content(self._version(object_id).pk)
        region = request.GET.get("region") or None
        live = sop_live_publications(version.sop).get(region) if region else None
        text = sop_markdown(
            sop=version.sop,
            version=version,
            region_code=region,
            resolved=sop_version_resolved(version, region),
            effective_at=live.effective_at if live and live.version_id == version.pk else None,
        )
        if request.GET.get("download"):
            response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
            name = f"{version.sop.key}-v{version.number}-{region or 'base'}.md"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return _page(
            self,
            request,
            "markdown.html",
            f"Markdown of {version}",
            version=version,
            original=version,
            markdown=text,
            region=region or "",
            region_codes=version.sop.regions.values_list("code", flat=True),
            back_url=_change_url(version),
        )


# --- regional variants ------------------------------------------------------------------------------


@admin.register(SopRegionalOverride)
class SopRegionalOverrideAdmin(RegionScopedAdminMixin, ModelAdmin):
    region_field = "region"
    list_display = ["__str__", "version", "region", "note"]
    list_filter = ["region", "version__sop"]
    list_select_related = ["version__sop", "region"]
    fields = ["version", "region", "note"]
    inlines = [SopClauseOverrideInline, SopParameterOverrideInline]

    def get_readonly_fields(self, request, obj=None):
        return ["version", "region"]

    def has_add_permission(self, request):
        return False  # added from the version's page

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.version.is_draft)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.version.is_draft)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        sop_version_content_changed(actor=request.user, version=form.instance.version)


# --- SOPs, policies, constraints, publications --------------------------------------------------------


@admin.register(Sop)
class SopAdmin(ModelAdmin):
    list_display = ["key", "title", "owning_team", "region_list", "live_versions"]
    search_fields = ["key", "title", "owning_team"]
    list_filter = ["owning_team", "regions"]
    filter_horizontal = ["regions"]
    fields = ["key", "title", "owning_team", "clause_prefix", "description", "regions"]
    inlines = [SopVersionHistoryInline]
    actions_detail = ["consistency_action"]

    def get_readonly_fields(self, request, obj=None):
        return ["key", "clause_prefix"] if obj else []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("regions")

    @display(description="regions")
    def region_list(self, obj):
        return ", ".join(r.code for r in obj.regions.all())

    @display(description="in force")
    def live_versions(self, obj):
        live = sop_live_publications(obj)
        by_version: dict[str, list[str]] = {}
        for region, publication in sorted(live.items()):
            by_version.setdefault(f"v{publication.version.number}", []).append(region)
        return "; ".join(f"{v}: {', '.join(r)}" for v, r in by_version.items()) or "nothing published"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = sop_create(
            actor=request.user,
            key=data["key"],
            title=data["title"],
            owning_team=data["owning_team"],
            clause_prefix=data["clause_prefix"],
            description=data.get("description", ""),
            region_codes=[r.code for r in data["regions"]],
        )
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False

    @action(description="Consistency report", url_path="consistency", permissions=["view"])
    def consistency_action(self, request, object_id):
        sop = get_object_or_404(Sop, pk=object_id)
        return _page(
            self,
            request,
            "consistency.html",
            f"Consistency of {sop.key}",
            sop=sop,
            original=sop,
            report=sop_consistency_report(sop),
            back_url=_change_url(sop),
            now=timezone.now(),
        )


class SopReviewRequirementInline(TabularInline):
    model = SopReviewRequirement
    extra = 0
    fields = ["label", "group", "min_approvals", "per_changed_region"]


@admin.register(SopReviewPolicy)
class SopReviewPolicyAdmin(ModelAdmin):
    list_display = ["sop", "due_days"]
    list_select_related = ["sop"]
    fields = ["sop", "due_days"]
    inlines = [SopReviewRequirementInline]

    def get_readonly_fields(self, request, obj=None):
        return ["sop"] if obj else []


@admin.register(SopConstraint)
class SopConstraintAdmin(ModelAdmin):
    list_display = ["name", "__str__", "active"]
    list_filter = ["active"]
    list_select_related = ["left_sop", "right_sop"]
    search_fields = ["name", "left_parameter", "right_parameter"]
    autocomplete_fields = ["left_sop", "right_sop"]


@admin.register(SopPublication)
class SopPublicationAdmin(RegionScopedAdminMixin, ModelAdmin):
    region_field = "region"
    list_display = ["sop", "version", "region", "status", "effective_at", "retired_at", "published_by"]
    list_filter = ["status", "region", "sop"]
    list_select_related = ["sop", "version__sop", "region", "published_by"]
    readonly_fields = ["sop", "version", "region", "status", "effective_at", "retired_at", "published_by"]

    def has_add_permission(self, request):
        return False  # publishing is the version's Publish action

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
