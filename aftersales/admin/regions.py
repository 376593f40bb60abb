from django.contrib import admin
from unfold.admin import ModelAdmin

from aftersales.models import Region


@admin.register(Region)
class RegionAdmin(ModelAdmin):
    list_display = ["code", "name", "currency", "time_zone", "language"]
    search_fields = ["code", "name"]
    ordering = ["code"]

    def get_readonly_fields(self, request, obj=None):
        # The code is a natural key referenced everywhere; it never changes after creation.
        return ["code"] if obj else []
