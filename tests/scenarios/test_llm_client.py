import socket
from decimal import Decimal

import pytest

from scenarios.llm.client import complete_json
from scenarios.models import LLMCall, ModelConfiguration
from tests.scenarios.llm_server import answer, raw, stall, status, tool_call

SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
MESSAGES = [{"role": "user", "content": "hi"}]


def _call(configuration):
    return complete_json(configuration=configuration, purpose="test", messages=MESSAGES, schema=SCHEMA)


def test_complete_json__answer__validated_data_and_call_recorded(llm_configuration, scripted_llm):
    scripted_llm.script(answer({"ok": True}))

    result = _call(llm_configuration)

    assert (result.ok, result.data) == (True, {"ok": True})
    call = LLMCall.objects.get()
    assert (call.outcome, call.attempts, call.input_tokens, call.output_tokens) == ("ok", 1, 120, 30)
    assert call.cost == Decimal("0.00018000")  # 120 x 0.000001 + 30 x 0.000002
    assert (call.purpose, call.model_name, call.configuration_id) == (
        "test",
        "scripted-model",
        llm_configuration.pk,
    )
    sent = scripted_llm.requests[0]["json"]
    assert (sent["max_tokens"], sent["temperature"], sent["model"]) == (512, 0.0, "scripted-model")


def test_complete_json__tool_call__arguments_are_the_answer(llm_configuration, scripted_llm):
    scripted_llm.script(tool_call("answer", {"ok": False}))

    result = _call(llm_configuration)

    assert (result.ok, result.data) == (True, {"ok": False})


def test_complete_json__fenced_json__parsed(llm_configuration, scripted_llm):
    scripted_llm.script(answer('```json\n{"ok": true}\n```'))

    assert _call(llm_configuration).data == {"ok": True}


@pytest.mark.parametrize(
    ("steps", "outcome", "attempts"),
    [
        ([stall(1.5), stall(1.5)], "timeout", 2),
        ([status(500), status(500)], "server_error", 2),
        ([status(429), status(429)], "rate_limit", 2),
        ([answer("this is not json")], "malformed_output", 1),
        ([answer({"ok": "yes"})], "malformed_output", 1),
        ([raw("<html>gateway</html>")], "malformed_output", 1),
        ([status(400)], "client_error", 1),
    ],
    ids=["stall", "500", "429", "not-json", "schema", "not-a-completion", "400"],
)
def test_complete_json__failure__classified_recorded_no_exception(
    llm_configuration, scripted_llm, steps, outcome, attempts
):
    scripted_llm.script(*steps)

    result = _call(llm_configuration)

    assert (result.ok, result.data, result.outcome) == (False, None, outcome)
    call = LLMCall.objects.get()
    assert (call.outcome, call.attempts) == (outcome, attempts)
    assert call.error_class != ""
    assert len(scripted_llm.requests) == attempts  # one retry policy: ours, SDK retries are off


def test_complete_json__500_then_answer__retried_once_ok(llm_configuration, scripted_llm):
    scripted_llm.script(status(500), answer({"ok": True}))

    result = _call(llm_configuration)

    assert (result.ok, result.data) == (True, {"ok": True})
    assert LLMCall.objects.values_list("outcome", "attempts").get() == ("ok", 2)


def test_complete_json__nothing_listening__connection_recorded(db):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configuration = ModelConfiguration.objects.create(
        name="down",
        base_url=f"http://127.0.0.1:{port}/v1",
        model_name="m",
        timeout_seconds=0.5,
        max_attempts=1,
    )

    result = _call(configuration)

    assert result.outcome == "connection"
    assert LLMCall.objects.values_list("outcome", "configuration__name").get() == ("connection", "down")


def test_complete_json__no_configuration__not_configured_recorded(db):
    result = _call(None)

    assert (result.ok, result.outcome) == (False, "not_configured")
    assert LLMCall.objects.values_list("outcome", "configuration").get() == ("not_configured", None)


def test_complete_json__key_from_named_variable__sent_as_bearer(llm_configuration, scripted_llm, monkeypatch):
    monkeypatch.setenv("SCRIPTED_KEY", "sk-test-123")
    llm_configuration.api_key_env = "SCRIPTED_KEY"
    llm_configuration.save(update_fields=["api_key_env"])
    scripted_llm.script(answer({"ok": True}))

    _call(llm_configuration)

    assert scripted_llm.requests[0]["headers"]["authorization"] == "Bearer sk-test-123"


def test_model_configuration_ensure_default__settings__created_once(db, settings):
    from scenarios.services.llm import model_configuration_ensure_default

    settings.LLM_BASE_URL, settings.LLM_MODEL, settings.LLM_API_KEY = "http://127.0.0.1:9/v1", "m1", "k"

    first = model_configuration_ensure_default(actor=None)
    second = model_configuration_ensure_default(actor=None)

    assert first.pk == second.pk
    assert (first.name, first.kind, first.api_key_env, first.model_name) == (
        "default",
        "openai_compatible",
        "LLM_API_KEY",
        "m1",
    )
    assert ModelConfiguration.objects.count() == 1
