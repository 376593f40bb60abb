from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin
from unfold.decorators import action

from config.errors import DomainError
from scenarios.models import IdentifierModel
from scenarios.services.identifier import identifier_model_request_training

METRIC_NAMES = [
    "cv_balanced_accuracy",
    "holdout_accuracy",
    "holdout_top1_accuracy",
    "holdout_macro_f1",
    "holdout_n",
    "threshold",
    "similarity_weight",
    "n_labels",
    "training_seconds",
    "artifact_bytes",
]


def confusion_picture(confusion: dict):
    """The confusion matrix as a shaded grid (rows: true scenario, columns: predicted)."""
    labels, matrix = confusion.get("labels") or [], confusion.get("matrix") or []
    if not labels:
        return "—"
    peak = max((max(row) for row in matrix), default=1) or 1

    def cell(i, j, n):
        alpha = 0.12 + 0.88 * n / peak if n else 0
        colour = "22,163,74" if i == j else "220,38,38"
        return format_html(
            '<td title="{} → {}: {}" style="width:22px;height:22px;text-align:center;font-size:10px;'
            'background:rgba({},{})">{}</td>',
            labels[i],
            labels[j],
            n,
            colour,
            f"{alpha:.2f}",
            n or "",
        )

    header = format_html_join(
        "",
        '<th style="writing-mode:vertical-rl;font-size:10px;font-weight:normal">{}</th>',
        ((label,) for label in labels),
    )
    rows = format_html_join(
        "",
        '<tr><th style="text-align:right;font-size:10px;font-weight:normal;padding-right:4px">{}</th>{}</tr>',
        (
            (labels[i], format_html_join("", "{}", ((cell(i, j, n),) for j, n in enumerate(row))))
            for i, row in enumerate(matrix)
        ),
    )
    return format_html('<table style="border-collapse:collapse"><tr><th></th>{}</tr>{}</table>', header, rows)


@admin.register(IdentifierModel)
class IdentifierModelAdmin(ModelAdmin):
    list_display = ["version", "status", "progress_bar", "n_examples", "cv_score", "holdout", "trained_at"]
    list_filter = ["status"]
    readonly_fields = [
        "version",
        "status",
        "progress_bar",
        "stage",
        "requested_by",
        "created",
        "started_at",
        "trained_at",
        "n_examples",
        "labels",
        "metrics_table",
        "confusion_matrix",
        "error",
    ]
    exclude = ["metrics", "progress"]
    actions_list = ["train_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("artifact").select_related("requested_by")

    def has_add_permission(self, request):
        return False  # versions come from training only

    def has_change_permission(self, request, obj=None):
        return False

    @action(description="Train now", url_path="train-now", permissions=["train"], icon="model_training")
    def train_now(self, request):
        try:
            model = identifier_model_request_training(actor=request.user)
        except DomainError as exc:
            messages.warning(request, exc.message)
        else:
            messages.success(request, f"Version {model.version} queued; its progress shows below.")
        return redirect("admin:scenarios_identifiermodel_changelist")

    def has_train_permission(self, request):
        return request.user.has_perm("scenarios.add_trainingexample")

    @admin.display(description="progress")
    def progress_bar(self, obj):
        colour = {"failed": "#dc2626", "ready": "#16a34a"}.get(obj.status, "#2563eb")
        return format_html(
            '<div title="{}" style="width:120px;background:#e5e7eb;border-radius:4px">'
            '<div style="width:{}%;background:{};height:8px;border-radius:4px"></div></div>'
            '<span style="font-size:11px">{}% {}</span>',
            obj.stage,
            obj.progress,
            colour,
            obj.progress,
            obj.stage,
        )

    @admin.display(description="leave-labels-out balanced acc.")
    def cv_score(self, obj):
        return obj.metrics.get("cv_balanced_accuracy", "—")

    @admin.display(description="holdout acc.")
    def holdout(self, obj):
        return obj.metrics.get("holdout_accuracy", "—")

    @admin.display(description="metrics")
    def metrics_table(self, obj):
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><th style='text-align:left;padding-right:12px'>{}</th><td>{}</td></tr>",
                ((name, obj.metrics[name]) for name in METRIC_NAMES if name in obj.metrics),
            ),
        )

    @admin.display(description="confusion matrix (holdout)")
    def confusion_matrix(self, obj):
        return confusion_picture(obj.metrics.get("confusion") or {})
