from django.contrib import admin
from unfold.admin import ModelAdmin

from scenarios.models import EvidenceJudgment


@admin.register(EvidenceJudgment)
class EvidenceJudgmentAdmin(ModelAdmin):
    list_display = [
        "created",
        "region",
        "scenario_key",
        "order_id",
        "verdict",
        "confidence",
        "judge",
        "latency_ms",
    ]
    list_filter = ["verdict", "region", "scenario_key", "judge"]
    list_select_related = ["region"]
    search_fields = ["order_id", "rationale"]
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # judgments are what the chatbot was told: never edited afterwards
