from django.contrib import admin
from unfold.admin import ModelAdmin

from scenarios.models import LLMCall, ModelConfiguration


@admin.register(ModelConfiguration)
class ModelConfigurationAdmin(ModelAdmin):
    list_display = ["name", "kind", "model_name", "base_url", "is_default", "timeout_seconds", "max_tokens"]
    list_filter = ["kind", "is_default"]
    search_fields = ["name", "model_name", "base_url"]
    readonly_fields = ["created", "updated"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "is_default", "base_url", "model_name", "api_key_env"]}),
        ("Limits", {"fields": ["timeout_seconds", "max_attempts", "max_tokens", "temperature"]}),
        ("Prices", {"fields": ["price_per_input_token", "price_per_output_token"]}),
        ("Audit", {"fields": ["created", "updated"]}),
    ]


@admin.register(LLMCall)
class LLMCallAdmin(ModelAdmin):
    list_display = [
        "created",
        "purpose",
        "configuration",
        "outcome",
        "attempts",
        "latency_ms",
        "input_tokens",
        "output_tokens",
        "cost",
    ]
    list_filter = ["outcome", "purpose", "configuration"]
    list_select_related = ["configuration"]
    search_fields = ["error_message", "error_class", "model_name"]
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the call log is an audit trail
