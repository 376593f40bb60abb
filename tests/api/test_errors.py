"""One error shape under /api/: {"code", "message", "details"} with stable codes."""

import json

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]

ECHO = "/api/v1/test/echo/"


def _unhandled_records(caplog):
    return [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg.get("event") == "api_unhandled_exception"
    ]


def test_errors__serializer_validation__400_invalid_with_field_errors(api, chatbot):
    response = api.post(ECHO, {"quantity": 0}, format="json", **chatbot.auth)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "details": {"quantity": ["Ensure this value is greater than or equal to 1."]},
    }


def test_errors__valid_input__200_unchanged(api, chatbot):
    response = api.post(ECHO, {"quantity": 2}, format="json", **chatbot.auth)
    assert response.status_code == 200
    assert response.json() == {"quantity": 2}


def test_errors__malformed_json__400_malformed_json(api, chatbot):
    response = api.post(ECHO, "{bad", content_type="application/json", **chatbot.auth)
    assert response.status_code == 400
    assert response.json() == {
        "code": "malformed_json",
        "message": (
            "JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
        ),
        "details": {},
    }


def test_errors__form_encoded_body__415_unsupported_media_type(api, chatbot):
    response = api.post(ECHO, "quantity=2", content_type="application/x-www-form-urlencoded", **chatbot.auth)
    assert response.status_code == 415
    assert response.json() == {
        "code": "unsupported_media_type",
        "message": 'Unsupported media type "application/x-www-form-urlencoded" in request.',
        "details": {},
    }


def test_errors__wrong_method__405_method_not_allowed(api, chatbot):
    response = api.delete(ECHO, **chatbot.auth)
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    assert response.json() == {
        "code": "method_not_allowed",
        "message": 'Method "DELETE" not allowed.',
        "details": {},
    }


def test_errors__unknown_url_under_api__404_json(api, chatbot):
    response = api.get("/api/v1/no-such-endpoint/", **chatbot.auth)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "message": "Not found.", "details": {}}


def test_errors__unknown_url_outside_api__404_left_to_django(api):
    response = api.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_errors__domain_error__its_status_code_and_details(api, chatbot):
    response = api.get("/api/v1/test/rule/", **chatbot.auth)
    assert response.status_code == 422
    assert response.json() == {
        "code": "rule_violation",
        "message": "Refund above the region's cap.",
        "details": {"cap": "100.00", "clause": "REF-2"},
    }


def test_errors__django_validation_error_from_full_clean__400_invalid(api, chatbot):
    response = api.get("/api/v1/test/django-validation/", **chatbot.auth)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "details": {
            "code": ["Use an upper-case market code such as US or ID."],
            "name": ["This field cannot be blank."],
        },
    }


def test_errors__unhandled_exception_in_api_view__500_json_logged_with_request_id(api, chatbot, caplog):
    # when
    response = api.get("/api/v1/test/crash/", **chatbot.auth)
    # then
    assert response.status_code == 500
    assert response.json() == {"code": "internal_error", "message": "Internal server error.", "details": {}}
    assert b"secret internals" not in response.content
    [logged] = _unhandled_records(caplog)
    assert logged["request_id"] == response["X-Request-ID"]
    assert logged["path"] == "/api/v1/test/crash/"
    assert logged["api_client"] == chatbot.client.prefix


def test_errors__unhandled_exception_in_plain_django_view_under_api__500_json(chatbot):
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/test/plain-crash/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "internal_error", "message": "Internal server error.", "details": {}}
    assert len(response["X-Request-ID"]) == 36


def test_errors__body_over_upload_cap__413_before_reading(api, chatbot, settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64
    body = json.dumps({"quantity": 1, "padding": "x" * 100})
    # when
    response = api.post(ECHO, body, content_type="application/json", **chatbot.auth)
    # then
    assert response.status_code == 413
    assert response.json() == {
        "code": "request_too_large",
        "message": "The request body is too large (at most 64 bytes).",
        "details": {"max_bytes": 64},
    }


def test_errors__body_at_upload_cap__accepted(api, chatbot, settings):
    body = json.dumps({"quantity": 1})
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)
    response = api.post(ECHO, body, content_type="application/json", **chatbot.auth)
    assert response.status_code == 200
