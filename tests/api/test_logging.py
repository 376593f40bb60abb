"""Structured logs: every line of a request is JSON and carries its request id."""

import io
import json
import logging

import pytest
from django.conf import settings

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def json_log_lines():
    """The log output as the configured `structured` formatter writes it, one string per line."""
    if not settings.LOG_JSON:
        pytest.skip("LOG_JSON is off: lines are rendered for a console, not as JSON")
    spec = dict(settings.LOGGING["formatters"]["structured"])
    formatter = spec.pop("()")(**spec)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [line for line in stream.getvalue().splitlines() if line]
    root.removeHandler(handler)


def _request_lines(lines, path):
    records = [json.loads(line) for line in lines]
    return [r for r in records if r.get("request", "").endswith(path)]


def test_logs__api_request__json_lines_with_the_echoed_request_id(api, chatbot, json_log_lines):
    # when
    response = api.get("/api/v1/health/", **chatbot.auth)
    # then
    request_id = response["X-Request-ID"]
    assert len(request_id) == 36
    lines = _request_lines(json_log_lines(), "/api/v1/health/")
    assert [(r["event"], r["request_id"]) for r in lines] == [
        ("request_started", request_id),
        ("request_finished", request_id),
    ]
    assert lines[1]["code"] == 200
    assert lines[1]["api_client"] == chatbot.client.prefix


def test_logs__incoming_x_request_id__honoured_and_echoed(api, chatbot, json_log_lines):
    response = api.get("/api/v1/health/", HTTP_X_REQUEST_ID="chatbot-7f3a:turn-12", **chatbot.auth)
    assert response["X-Request-ID"] == "chatbot-7f3a:turn-12"
    lines = _request_lines(json_log_lines(), "/api/v1/health/")
    assert {r["request_id"] for r in lines} == {"chatbot-7f3a:turn-12"}


def test_logs__incoming_x_request_id_not_an_id__replaced(api, chatbot, json_log_lines):
    # given: an id that would carry text into log lines and headers
    smuggled = "x" * 200
    # when
    response = api.get("/api/v1/health/", HTTP_X_REQUEST_ID=smuggled, **chatbot.auth)
    # then
    assert response.status_code == 200
    assert len(response["X-Request-ID"]) == 36
    finished = [
        r for r in _request_lines(json_log_lines(), "/api/v1/health/") if r["event"] == "request_finished"
    ]
    assert [r["request_id"] for r in finished] == [response["X-Request-ID"]]


def test_logs__admin_request__request_id_echoed_too(client, plain_static_storage):
    response = client.get("/admin/login/", HTTP_X_REQUEST_ID="support-42")
    assert response["X-Request-ID"] == "support-42"
