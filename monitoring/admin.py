from django.contrib import admin, messages
from django.shortcuts import redirect
from unfold.admin import ModelAdmin
from unfold.decorators import action

from monitoring.models import WorkerProbe
from monitoring.services import worker_probe_request


@admin.register(WorkerProbe)
class WorkerProbeAdmin(ModelAdmin):
    list_display = ["id", "requested_at", "requested_by", "status", "worker", "round_trip_ms"]
    list_filter = ["status"]
    list_select_related = ["requested_by"]
    readonly_fields = ["requested_at", "requested_by", "status", "answered_at", "worker"]
    actions_list = ["ping_workers"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @action(description="Ping the workers", url_path="ping-workers", permissions=["ping"])
    def ping_workers(self, request):
        probe = worker_probe_request(actor=request.user)
        messages.info(request, f"Probe {probe.pk} sent; refresh to see the worker's answer.")
        return redirect("admin:monitoring_workerprobe_changelist")

    def has_ping_permission(self, request):
        return request.user.has_perm("monitoring.view_workerprobe")
