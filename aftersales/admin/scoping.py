"""Staff region scoping for any ModelAdmin whose rows belong to a region.

    @admin.register(Order)
    class OrderAdmin(RegionScopedAdminMixin, ModelAdmin):
        region_field = "region"            # or a path through relations: "order__region"

A staff user limited to some regions (StaffProfile) then sees only the rows of those regions, is
offered only those regions (and only in-scope rows of other region-scoped models) in foreign-key
and many-to-many choices, and cannot save an object into a region outside the scope. Superusers and
profiles with ``all_regions`` are not limited; a staff user without a profile sees nothing.
"""

from __future__ import annotations

from django import forms
from django.db.models import Model, QuerySet

from aftersales.models import Region
from aftersales.selectors.access import staff_region_codes


def scope_to_regions(queryset: QuerySet, region_field: str, codes: set[str] | None) -> QuerySet:
    if codes is None:
        return queryset
    return queryset.filter(**{f"{region_field}__in": codes})


def _region_codes_of(value) -> set[str | None]:
    """The region codes a path's end value stands for: a Region, a code, or several regions."""
    if value is None:
        return {None}
    if isinstance(value, Region):
        return {value.code}
    if isinstance(value, str):
        return {value}
    if hasattr(value, "all"):  # a related manager
        value = value.all()
    return {region.code for region in value} or {None}


def _follow(value, path: str):
    for attribute in filter(None, path.split("__")):
        if value is None:
            return None
        value = getattr(value, attribute, None)
    return value


class RegionScopedAdminMixin:
    region_field = "region"
    region_forbidden_message = "You may only save objects in your regions (%(allowed)s)."

    def get_queryset(self, request):
        return scope_to_regions(
            super().get_queryset(request), self.region_field, staff_region_codes(request.user)
        )

    def _scoped_choices(self, db_field, request) -> QuerySet | None:
        codes = staff_region_codes(request.user)
        if codes is None:
            return None
        related_model = db_field.remote_field.model
        if related_model is Region:
            return Region.objects.filter(code__in=codes)
        related_admin = self.admin_site._registry.get(related_model)
        if isinstance(related_admin, RegionScopedAdminMixin):
            return related_admin.get_queryset(request)
        return None

    def _with_scoped_choices(self, db_field, request, kwargs) -> dict:
        if "queryset" not in kwargs:
            queryset = self._scoped_choices(db_field, request)
            if queryset is not None:
                return {**kwargs, "queryset": queryset}
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._with_scoped_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._with_scoped_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        codes = staff_region_codes(request.user)
        if codes is None:
            return form_class
        region_field = self.region_field
        message = self.region_forbidden_message % {"allowed": ", ".join(sorted(codes)) or "none"}

        class RegionScopedForm(form_class):
            # Choices are already limited; this also covers paths through relations and fields
            # that are not on the form (readonly, or set by the instance).
            def clean(self):
                cleaned_data = super().clean()
                head, _, rest = region_field.partition("__")
                if head in self.errors:
                    return cleaned_data  # the field's own error says enough
                value = cleaned_data[head] if head in cleaned_data else getattr(self.instance, head, None)
                if isinstance(value, Model | None):
                    value = _follow(value, rest)
                if not _region_codes_of(value) <= codes:
                    raise forms.ValidationError(message, code="region_forbidden")
                return cleaned_data

        RegionScopedForm.__name__ = form_class.__name__
        return RegionScopedForm
