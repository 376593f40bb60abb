"""Admin for API clients, staff profiles and users (superusers only in practice)."""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from rest_framework_api_key.models import APIKey

from aftersales.models import ApiClient, StaffProfile
from aftersales.selectors.access import api_client_for_key
from aftersales.services.access import api_client_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]

KEY_MESSAGE = re.compile(
    r"^The API key of (?P<name>.+) is: (?P<key>\S+) — store it now, it is not shown again\.$"
)


@pytest.fixture
def superuser_client(client):
    user = User.objects.create_superuser("root", "root@example.com", None)
    client.force_login(user)
    return client


def test_api_client_admin__add__key_shown_once_in_a_message_and_works(superuser_client, regions):
    # when
    response = superuser_client.post(
        "/admin/aftersales/apiclient/add/",
        {"name": "chatbot", "regions": ["US", "ID"], "throttle_rate": "100/min", "expiry_date": ""},
    )
    # then
    client = ApiClient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == "/admin/aftersales/apiclient/"
    key_message, added_message = [str(m.message) for m in get_messages(response.wsgi_request)]
    assert added_message == (
        f'The API client “<a href="/admin/aftersales/apiclient/{quote(client.pk)}/change/">chatbot</a>”'
        " was added successfully."
    )
    match = KEY_MESSAGE.match(key_message)
    assert match.group("name") == "chatbot"
    assert api_client_for_key(match.group("key")) == client
    assert sorted(client.regions.values_list("code", flat=True)) == ["ID", "US"]
    assert client.throttle_rate == "100/min"
    # and the key is shown on the next page only, never again
    key = match.group("key").encode()
    assert key in superuser_client.get(response["Location"]).content
    page = superuser_client.get(f"/admin/aftersales/apiclient/{quote(client.pk)}/change/")
    assert page.status_code == 200
    assert key not in page.content


def test_api_client_admin__add_with_bad_rate__form_error_and_nothing_created(superuser_client, regions):
    response = superuser_client.post(
        "/admin/aftersales/apiclient/add/", {"name": "chatbot", "regions": ["US"], "throttle_rate": "lots"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "throttle_rate": ["Invalid throttle rate 'lots': use <requests>/<s|min|hour|day>, e.g. 600/min."]
    }
    assert ApiClient.objects.count() == 0


def test_api_client_admin__change__regions_updated_through_the_service(superuser_client, regions):
    client, _ = api_client_create(actor=None, name="chatbot", region_codes=["US"])
    response = superuser_client.post(
        f"/admin/aftersales/apiclient/{client.pk}/change/",
        {"name": "chatbot", "regions": ["GB"], "throttle_rate": "", "expiry_date": ""},
    )
    assert response.status_code == 302
    assert list(ApiClient.objects.get().regions.values_list("code", flat=True)) == ["GB"]


def test_api_client_admin__revoke_action__selected_clients_revoked(superuser_client, regions):
    # given
    revoked, _ = api_client_create(actor=None, name="old", region_codes=["US"])
    api_client_create(actor=None, name="new", region_codes=["US"])
    # when
    response = superuser_client.post(
        "/admin/aftersales/apiclient/", {"action": "revoke", "_selected_action": [revoked.pk]}
    )
    # then
    assert response.status_code == 302
    assert dict(ApiClient.objects.values_list("name", "revoked")) == {"old": True, "new": False}
    assert [m.message for m in get_messages(response.wsgi_request)] == ["Revoked 1 API client(s)."]


def test_api_client_admin__changelist__lists_name_prefix_and_regions(superuser_client, regions):
    client, _ = api_client_create(actor=None, name="chatbot", region_codes=["US", "ID"])
    response = superuser_client.get("/admin/aftersales/apiclient/")
    assert response.status_code == 200
    assert client.prefix.encode() in response.content
    assert b"ID, US" in response.content or b"US, ID" in response.content


def test_api_client_admin__revoked_client__every_field_read_only(regions, rf):
    client, _ = api_client_create(actor=None, name="old", region_codes=["US"])
    client.revoked = True
    model_admin = admin.site._registry[ApiClient]
    assert list(model_admin.get_readonly_fields(rf.get("/"), client)) == model_admin.fields


def test_library_api_key_admin__not_registered():
    assert not admin.site.is_registered(APIKey)


def test_user_admin__change_page__has_the_region_scope_inline(superuser_client, regions):
    # given
    staff = User.objects.create_user("ops", is_staff=True)
    # when
    response = superuser_client.get(f"/admin/auth/user/{staff.pk}/change/")
    # then
    assert response.status_code == 200
    assert [inline.formset.prefix for inline in response.context["inline_admin_formsets"]] == [
        "staff_profile"
    ]


def test_staff_profile_admin__changelist__shows_scope(superuser_client, regions):
    staff = User.objects.create_user("ops", is_staff=True)
    profile = StaffProfile.objects.create(user=staff)
    profile.regions.set([regions["US"], regions["GB"]])
    response = superuser_client.get("/admin/aftersales/staffprofile/")
    assert response.status_code == 200
    assert b"GB, US" in response.content


@pytest.mark.parametrize("path", ["/admin/auth/user/add/", "/admin/auth/group/", "/admin/auth/user/"])
def test_auth_admin__unfold_pages__render(superuser_client, path):
    response = superuser_client.get(path)
    assert response.status_code == 200
