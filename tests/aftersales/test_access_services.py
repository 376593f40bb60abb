"""API client services and the create_api_client command."""

import io

import pytest
from django.core.management import CommandError, call_command

from aftersales.models import ApiClient
from aftersales.selectors.access import api_client_for_key
from aftersales.services.access import api_client_create, api_client_revoke, api_client_update
from config.errors import ValidationFailed

pytestmark = [pytest.mark.django_db]


def _codes(client):
    return sorted(client.regions.values_list("code", flat=True))


def test_api_client_create__valid__key_authenticates_and_regions_set(regions):
    # when
    client, key = api_client_create(
        actor=None,
        name="chatbot-prod",
        region_codes=["us", " ID "],
        throttle_rate="600/min",
        may_assert_identity=True,
    )
    # then
    stored = ApiClient.objects.get(pk=client.pk)
    assert (stored.name, stored.throttle_rate, stored.may_assert_identity, stored.revoked) == (
        "chatbot-prod",
        "600/min",
        True,
        False,
    )
    assert _codes(stored) == ["ID", "US"]
    assert key.startswith(f"{stored.prefix}.")
    assert len(key) == 8 + 1 + 32
    assert api_client_for_key(key) == stored


def test_api_client_create__unknown_region__refused_naming_it_and_nothing_created(regions):
    with pytest.raises(ValidationFailed) as excinfo:
        api_client_create(actor=None, name="bot", region_codes=["US", "XX", "ZZ"])
    assert (excinfo.value.code, excinfo.value.message, excinfo.value.details) == (
        "unknown_region",
        "Unknown region: XX, ZZ.",
        {"regions": ["XX", "ZZ"]},
    )
    assert ApiClient.objects.count() == 0


def test_api_client_create__no_region__refused_and_nothing_created(regions):
    with pytest.raises(ValidationFailed) as excinfo:
        api_client_create(actor=None, name="bot", region_codes=["", " "])
    assert excinfo.value.message == "An API client needs at least one region."
    assert ApiClient.objects.count() == 0


@pytest.mark.parametrize("rate", ["600", "0/min", "ten/min", "5/week", "5/min "])
def test_api_client_create__bad_throttle_rate__refused_and_nothing_created(regions, rate):
    with pytest.raises(ValidationFailed) as excinfo:
        api_client_create(actor=None, name="bot", region_codes=["US"], throttle_rate=rate)
    assert excinfo.value.details == {"throttle_rate": [rate]}
    assert ApiClient.objects.count() == 0


def test_api_client_create__name_too_long__refused_with_field_error(regions):
    with pytest.raises(ValidationFailed) as excinfo:
        api_client_create(actor=None, name="x" * 51, region_codes=["US"])
    assert excinfo.value.details == {"name": ["Ensure this value has at most 50 characters (it has 51)."]}
    assert ApiClient.objects.count() == 0


def test_api_client_revoke__active_client__revoked_once(regions):
    # given
    client, key = api_client_create(actor=None, name="bot", region_codes=["US"])
    # when
    first = api_client_revoke(actor=None, client=client)
    second = api_client_revoke(actor=None, client=ApiClient.objects.get(pk=client.pk))
    # then
    assert (first, second) == (True, False)
    assert ApiClient.objects.get(pk=client.pk).revoked is True
    assert api_client_for_key(key) is None


def _update(client, **changes):
    fields = {"name": "bot-2", "throttle_rate": "", "may_assert_identity": False, "expiry_date": None}
    return api_client_update(actor=None, client=client, **{**fields, **changes})


def test_api_client_update__new_regions_and_rate__saved(regions):
    client, _ = api_client_create(actor=None, name="bot", region_codes=["US"])
    _update(client, region_codes=["GB"], throttle_rate="10/s")
    stored = ApiClient.objects.get(pk=client.pk)
    assert (stored.name, stored.throttle_rate, _codes(stored)) == ("bot-2", "10/s", ["GB"])


def test_api_client_update__unknown_region__refused_and_unchanged(regions):
    client, _ = api_client_create(actor=None, name="bot", region_codes=["US"])
    with pytest.raises(ValidationFailed):
        _update(client, region_codes=["XX"])
    stored = ApiClient.objects.get(pk=client.pk)
    assert (stored.name, _codes(stored)) == ("bot", ["US"])


def test_create_api_client_command__valid__prints_the_key_once_on_stdout(regions):
    # when
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_client", "chatbot", "--regions", "US,ID", "--rate", "600/min", stdout=out, stderr=err
    )
    # then
    key = out.getvalue().strip()
    client = ApiClient.objects.get()
    assert api_client_for_key(key) == client
    assert (client.name, client.throttle_rate, _codes(client)) == ("chatbot", "600/min", ["ID", "US"])
    assert err.getvalue() == (
        f"Created API client 'chatbot' ({client.prefix}) for ID,US.\n"
        "Store the key now: it is not shown again.\n"
    )


def test_create_api_client_command__unknown_region__command_error_naming_it(regions):
    with pytest.raises(CommandError, match=r"^Unknown region: XX\.$"):
        call_command("create_api_client", "chatbot", "--regions", "US,XX", stdout=io.StringIO())
    assert ApiClient.objects.count() == 0
