"""Staff region scoping: RegionScopedAdminMixin and the staff_region_codes selector.

Tested on Region itself (``region_field = "code"``) and on ApiClient's region M2M, the
region-scoped data that exists at this point."""

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth.models import AnonymousUser, Permission, User
from unfold.admin import ModelAdmin

from aftersales.admin.access import ApiClientAdmin
from aftersales.admin.regions import RegionAdmin
from aftersales.admin.scoping import RegionScopedAdminMixin
from aftersales.models import ApiClient, Region, StaffProfile
from aftersales.selectors.access import staff_region_codes
from aftersales.services.access import api_client_create

pytestmark = [pytest.mark.django_db]

FORBIDDEN = "You may only save objects in your regions (US)."
SCOPED_MODELS = ["region", "apiclient"]


class ScopedRegionAdmin(RegionScopedAdminMixin, RegionAdmin):
    region_field = "code"


class ScopedApiClientAdmin(RegionScopedAdminMixin, ApiClientAdmin):
    region_field = "regions"


@pytest.fixture
def site():
    site = AdminSite(name="scoping-test")
    site.register(Region, ScopedRegionAdmin)
    site.register(ApiClient, ScopedApiClientAdmin)
    return site


@pytest.fixture
def make_staff(regions):
    def make(region_codes=None, *, all_regions=False, profile=True):
        user = User.objects.create_user(f"staff{User.objects.count()}", is_staff=True)
        # Model permissions as an editor would have them; the scope is what is under test.
        user.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="aftersales", content_type__model__in=SCOPED_MODELS
            )
        )
        if profile:
            staff_profile = StaffProfile.objects.create(user=user, all_regions=all_regions)
            staff_profile.regions.set([regions[code] for code in region_codes or []])
        return user

    return make


def _request(rf, user):
    request = rf.get("/admin/")
    request.user = user
    return request


def _region_codes(model_admin, request):
    return sorted(model_admin.get_queryset(request).values_list("code", flat=True))


def test_staff_region_codes__by_kind_of_user__scope(make_staff):
    root = User.objects.create_superuser("root", "r@example.com", None)
    assert staff_region_codes(root) is None
    assert staff_region_codes(make_staff(all_regions=True)) is None
    assert staff_region_codes(make_staff(["US", "GB"])) == {"US", "GB"}
    assert staff_region_codes(make_staff(profile=False)) == set()
    assert staff_region_codes(AnonymousUser()) == set()


def test_scoped_admin__staff_limited_to_us__sees_only_us(site, rf, make_staff):
    request = _request(rf, make_staff(["US"]))
    assert _region_codes(site._registry[Region], request) == ["US"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("superuser", ["GB", "ID", "US"]), ("all_regions", ["GB", "ID", "US"]), ("no_profile", [])],
)
def test_scoped_admin__unlimited_or_unprofiled_user__all_or_nothing(site, rf, make_staff, kind, expected):
    user = {
        "superuser": lambda: User.objects.create_superuser("root", "r@example.com", None),
        "all_regions": lambda: make_staff(all_regions=True),
        "no_profile": lambda: make_staff(profile=False),
    }[kind]()
    assert _region_codes(site._registry[Region], _request(rf, user)) == expected


def test_scoped_admin__path_through_many_to_many__filters_rows(site, rf, make_staff):
    us_client, _ = api_client_create(actor=None, name="us-bot", region_codes=["US"])
    api_client_create(actor=None, name="gb-bot", region_codes=["GB"])
    request = _request(rf, make_staff(["US"]))
    assert list(site._registry[ApiClient].get_queryset(request)) == [us_client]


def test_scoped_admin__region_choices__limited_to_the_scope(site, rf, make_staff):
    request = _request(rf, make_staff(["US", "ID"]))
    form_class = site._registry[ApiClient].get_form(request)
    assert sorted(form_class.base_fields["regions"].queryset.values_list("code", flat=True)) == ["ID", "US"]


def test_scoped_admin__region_choices_for_superuser__all(site, rf, regions):
    request = _request(rf, User.objects.create_superuser("root", "r@example.com", None))
    form_class = site._registry[ApiClient].get_form(request)
    assert sorted(form_class.base_fields["regions"].queryset.values_list("code", flat=True)) == [
        "GB",
        "ID",
        "US",
    ]


def test_scoped_admin__choosing_a_region_outside_scope__refused_and_nothing_saved(site, rf, make_staff):
    request = _request(rf, make_staff(["US"]))
    form_class = site._registry[ApiClient].get_form(request)
    form = form_class(data={"name": "bot", "regions": ["GB"], "throttle_rate": ""})
    assert form.is_valid() is False
    assert form.errors == {"regions": ["Select a valid choice. GB is not one of the available choices."]}
    assert ApiClient.objects.count() == 0


def test_scoped_admin__new_object_in_a_region_outside_scope__refused(site, rf, make_staff):
    # given: the region is a plain value on the form (no choices limit it)
    request = _request(rf, make_staff(["US"]))
    form_class = site._registry[Region].get_form(request)
    form = form_class(
        data={
            "code": "MY",
            "name": "Malaysia",
            "currency": "MYR",
            "time_zone": "Asia/Kuala_Lumpur",
            "language": "ms",
        }
    )
    # then
    assert form.is_valid() is False
    assert form.errors == {"__all__": [FORBIDDEN]}
    assert not Region.objects.filter(code="MY").exists()


def test_scoped_admin__existing_object_outside_scope_region_not_on_form__refused(
    site, rf, make_staff, regions
):
    # given: the code is read-only on change, so it comes from the instance
    request = _request(rf, make_staff(["US"]))
    gb = regions["GB"]
    form_class = site._registry[Region].get_form(request, obj=gb, change=True)
    form = form_class(
        instance=gb,
        data={"name": "Great Britain", "currency": "GBP", "time_zone": "Europe/London", "language": "en-GB"},
    )
    # then
    assert form.is_valid() is False
    assert form.errors == {"__all__": [FORBIDDEN]}
    assert Region.objects.get(code="GB").name == "United Kingdom"


def test_scoped_admin__object_inside_scope__saved(site, rf, make_staff, regions):
    request = _request(rf, make_staff(["US"]))
    us = regions["US"]
    form_class = site._registry[Region].get_form(request, obj=us, change=True)
    form = form_class(
        instance=us,
        data={"name": "USA", "currency": "USD", "time_zone": "America/New_York", "language": "en-US"},
    )
    assert form.is_valid() is True
    form.save()
    assert Region.objects.get(code="US").name == "USA"


def test_scoped_admin__plain_admin_without_mixin__unaffected(rf, make_staff):
    # The mixin is opt-in: an admin without it is not filtered.
    site = AdminSite(name="plain")
    site.register(Region, ModelAdmin)
    request = _request(rf, make_staff(["US"]))
    assert _region_codes(site._registry[Region], request) == ["GB", "ID", "US"]
