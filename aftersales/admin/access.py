"""Admin for machine credentials (API clients) and staff scoping (profiles, users, groups).

Roles never get permissions on ApiClient or StaffProfile (aftersales.roles.ADMIN_ONLY_MODELS), so
in practice only superusers reach these pages.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from rest_framework_api_key.models import APIKey
from unfold.admin import ModelAdmin, StackedInline
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from aftersales.models import ApiClient, StaffProfile
from aftersales.services.access import (
    api_client_create,
    api_client_revoke,
    api_client_update,
    validate_throttle_rate,
)
from config.errors import ValidationFailed

# The library's own key model authenticates nothing here (ApiClient is the key model); hiding its
# admin avoids minting keys that silently do not work.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)
for model in (User, Group):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class ApiClientForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = ["name", "regions", "throttle_rate", "may_assert_identity", "expiry_date"]

    def clean_throttle_rate(self):
        rate = self.cleaned_data["throttle_rate"]
        try:
            validate_throttle_rate(rate)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from exc
        return rate


@admin.register(ApiClient)
class ApiClientAdmin(ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "prefix", "region_codes", "created", "expiry_date", "revoked"]
    list_filter = ["revoked", "regions"]
    search_fields = ["name", "prefix"]
    autocomplete_fields = ["regions"]
    fields = [
        "name",
        "regions",
        "throttle_rate",
        "may_assert_identity",
        "expiry_date",
        "prefix",
        "created",
        "revoked",
    ]
    readonly_fields = ["prefix", "created", "revoked"]
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("regions")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.revoked:
            return self.fields  # a revoked key is kept for the record, never edited
        return self.readonly_fields

    @admin.display(description="regions")
    def region_codes(self, obj):
        return ", ".join(region.code for region in obj.regions.all())

    @admin.action(description="Revoke the selected API clients (cannot be undone)")
    def revoke(self, request, queryset):
        revoked = sum(api_client_revoke(actor=request.user, client=client) for client in queryset)
        self.message_user(request, f"Revoked {revoked} API client(s).", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "region_codes": [region.code for region in data["regions"]],
            "throttle_rate": data["throttle_rate"],
            "may_assert_identity": data["may_assert_identity"],
        }
        if change:
            api_client_update(actor=request.user, client=obj, expiry_date=data["expiry_date"], **fields)
            return
        client, key = api_client_create(actor=request.user, expiry_date=data["expiry_date"], **fields)
        # The admin goes on with `obj` (log entry, redirect): make it the row just created.
        obj.id, obj.prefix, obj.hashed_key, obj.created = (
            client.id,
            client.prefix,
            client.hashed_key,
            client.created,
        )
        obj._state.adding = False
        messages.warning(
            request,
            f"The API key of {client.name} is: {key} — store it now, it is not shown again.",
        )

    def save_related(self, request, form, formsets, change):
        # The services above already set the regions.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(StaffProfile)
class StaffProfileAdmin(ModelAdmin):
    list_display = ["user", "all_regions", "region_codes"]
    list_filter = ["all_regions", "regions"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user", "regions"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("regions")

    @admin.display(description="regions")
    def region_codes(self, obj):
        return "all" if obj.all_regions else ", ".join(region.code for region in obj.regions.all())


class StaffProfileInline(StackedInline):
    model = StaffProfile
    can_delete = False
    max_num = 1
    autocomplete_fields = ["regions"]
    verbose_name_plural = "region scope"


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    inlines = [StaffProfileInline]


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass
