"""Api-Key authentication: 401 without credentials, 403 for any key that does not authenticate."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.models import ApiClient
from aftersales.services.access import api_client_revoke

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]

HEALTH = "/api/v1/health/"
INVALID_KEY = {"code": "permission_denied", "message": "Invalid API key.", "details": {}}


def test_api__no_authorization_header__401_with_challenge(api, chatbot):
    # when
    response = api.get(HEALTH)
    # then
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided: send `Authorization: Api-Key <key>`.",
        "details": {},
    }


def test_api__other_authorization_scheme__401(api, chatbot):
    response = api.get(HEALTH, HTTP_AUTHORIZATION=f"Bearer {chatbot.key}")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "header",
    ["Api-Key ", "Api-Key nodot", "Api-Key UNKNOWN1.abcdefghijklmnopqrstuvwxyz012345"],
    ids=["empty", "malformed", "unknown-prefix"],
)
def test_api__key_that_does_not_authenticate__403_invalid_key(api, chatbot, header):
    response = api.get(HEALTH, HTTP_AUTHORIZATION=header)
    assert response.status_code == 403
    assert response.json() == INVALID_KEY


def test_api__right_prefix_wrong_secret__403_invalid_key(api, chatbot):
    forged = f"{chatbot.client.prefix}.{'x' * 32}"
    response = api.get(HEALTH, HTTP_AUTHORIZATION=f"Api-Key {forged}")
    assert response.status_code == 403
    assert response.json() == INVALID_KEY


def test_api__revoked_key__403_same_answer_as_unknown(api, chatbot):
    # given
    assert api.get(HEALTH, **chatbot.auth).status_code == 200
    api_client_revoke(actor=None, client=chatbot.client)
    # when
    response = api.get(HEALTH, **chatbot.auth)
    # then
    assert response.status_code == 403
    assert response.json() == INVALID_KEY


def test_api__expired_key__403_same_answer_as_unknown(api, make_chatbot):
    chatbot = make_chatbot(expiry_date=timezone.now() - timedelta(seconds=1))
    response = api.get(HEALTH, **chatbot.auth)
    assert response.status_code == 403
    assert response.json() == INVALID_KEY


def test_api__keyword_case_insensitive__authenticates(api, chatbot):
    response = api.get(HEALTH, HTTP_AUTHORIZATION=f"api-key {chatbot.key}")
    assert response.status_code == 200


def test_api__valid_key__view_sees_the_client_and_its_regions(api, chatbot):
    response = api.get("/api/v1/test/regions/US/", **chatbot.auth)
    assert response.status_code == 200
    assert response.json() == {
        "region": "US",
        "client": chatbot.client.prefix,
        "client_regions": ["ID", "US"],
    }


def test_api_key__stored__only_its_hash(chatbot):
    stored = ApiClient.objects.get(pk=chatbot.client.pk)
    assert chatbot.key.startswith(f"{stored.prefix}.")
    assert chatbot.key not in (stored.id, stored.hashed_key)
    assert stored.hashed_key.startswith("sha512$$")
