import pytest
from rest_framework.test import APIClient

from aftersales.models import ApiClient

pytest.register_assert_rewrite("tests.aftersales.sop_fixtures")
from tests.aftersales.sop_fixtures import clause_change, publish_new_version  # noqa: E402

pytest_plugins = ["tests.aftersales.sop_fixtures"]


@pytest.fixture
def published_return_sop(return_sop, editor, reviewer_a, reviewer_b, publisher):
    return publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)


@pytest.fixture
def chatbot(regions):
    client, key = ApiClient.objects.create_key(name="chatbot")
    client.regions.set([regions["US"], regions["ID"]])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


def test_sops_api_list__region_in_scope__resolved_sops_with_etag(chatbot, published_return_sop):
    response = chatbot.get("/api/v1/sops/?region=ID")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    sop = body["results"][0]
    assert (sop["key"], sop["region"], sop["version"], sop["version_id"]) == (
        "return-delivered-item",
        "ID",
        1,
        published_return_sop.pk,
    )
    assert sop["clauses"] == [
        {"id": "RET-1", "title": "Eligibility", "text": "Delivered only."},
        {"id": "RET-2", "title": "Refund", "text": "To the original method."},
    ]
    assert sop["parameters"] == {
        "auto_refund_cap": {"value": "750000", "type": "decimal", "unit": "IDR"},
        "return_window_days": {"value": 30, "type": "integer", "unit": "days"},
    }
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 66


def test_sops_api_detail__two_regions__different_resolved_parameters(chatbot, published_return_sop):
    us = chatbot.get("/api/v1/sops/return-delivered-item/?region=US").json()
    id_ = chatbot.get("/api/v1/sops/return-delivered-item/?region=ID").json()

    assert us["parameters"]["auto_refund_cap"] == {"value": "50.00", "type": "decimal", "unit": "USD"}
    assert id_["parameters"]["auto_refund_cap"] == {"value": "750000", "type": "decimal", "unit": "IDR"}
    assert us["content_hash"] != id_["content_hash"]


def test_sops_api_detail__if_none_match_current_etag__304_without_body(chatbot, published_return_sop):
    first = chatbot.get("/api/v1/sops/return-delivered-item/?region=US")

    again = chatbot.get("/api/v1/sops/return-delivered-item/?region=US", HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_sops_api_detail__new_version_published__etag_changes(
    chatbot, published_return_sop, return_sop, editor, reviewer_a, reviewer_b, publisher
):

    first = chatbot.get("/api/v1/sops/return-delivered-item/?region=US")
    publish_new_version(
        return_sop,
        editor,
        [reviewer_a, reviewer_b],
        publisher,
        change=clause_change(editor, "RET-1", "Delivered within the window.", title="Eligibility"),
    )

    again = chatbot.get("/api/v1/sops/return-delivered-item/?region=US", HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 200
    assert again.json()["version"] == 2
    assert again["ETag"] != first["ETag"]


def test_sops_api_list__region_outside_client_scope__403_region_forbidden(chatbot, published_return_sop):
    response = chatbot.get("/api/v1/sops/?region=GB")

    assert response.status_code == 403
    assert response.json()["code"] == "region_forbidden"


def test_sops_api_list__no_region__400_invalid(chatbot, published_return_sop):
    response = chatbot.get("/api/v1/sops/")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["details"]) == ["region"]


def test_sops_api_detail__not_published_in_region__404_sop_not_published(chatbot, return_sop):
    response = chatbot.get("/api/v1/sops/return-delivered-item/?region=US")

    assert response.status_code == 404
    assert response.json()["code"] == "sop_not_published"


def test_sops_api_list__no_key__401(published_return_sop):
    response = APIClient().get("/api/v1/sops/?region=US")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
