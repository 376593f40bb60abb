import pytest
from rest_framework.test import APIClient

from scenarios.models import LLMCall
from tests.scenarios.llm_server import answer, raw, stall, status

URL = "/api/v1/identify/"


@pytest.fixture
def api():
    return APIClient()


def test_identify__embedded_known_message__matched_scenario(api, chatbot_key, trained_identifier):
    response = api.post(
        URL, {"text": "my parcel never arrived", "region": "US"}, format="json", **chatbot_key.auth
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"scenario", "confidence", "decision", "candidates", "model"}
    assert body["scenario"] == "package-not-received"
    assert body["decision"] in {"matched", "clarify"}
    assert body["model"] == f"embedded-v{trained_identifier.version}"
    assert body["candidates"][0] == {"scenario": "package-not-received", "confidence": body["confidence"]}


def test_identify__gibberish__out_of_scope(api, chatbot_key, trained_identifier):
    response = api.post(URL, {"text": "qqq zzz vvv", "region": "US"}, format="json", **chatbot_key.auth)

    assert response.status_code == 200
    assert (response.json()["scenario"], response.json()["decision"]) == (None, "out_of_scope")


def test_identify__region_not_granted__403_region_forbidden(api, chatbot_key, trained_identifier):
    response = api.post(
        URL, {"text": "my parcel never arrived", "region": "ID"}, format="json", **chatbot_key.auth
    )

    assert response.status_code == 403
    assert response.json()["code"] == "region_forbidden"


def test_identify__no_key__401(api, trained_identifier):
    response = api.post(URL, {"text": "hello", "region": "US"}, format="json")

    assert response.status_code == 401


def test_identify__no_model_trained__404_no_identifier_model(api, chatbot_key, scenario_catalogue):
    response = api.post(URL, {"text": "cancel my order", "region": "US"}, format="json", **chatbot_key.auth)

    assert response.status_code == 404
    assert response.json()["code"] == "no_identifier_model"


def test_identify__scenario_not_offered_in_region__out_of_scope(
    api, chatbot_key, trained_identifier, regions
):
    from scenarios.models import Scenario

    Scenario.objects.get(key="package-not-received").regions.set([regions["ID"]])

    response = api.post(
        URL, {"text": "my parcel never arrived", "region": "US"}, format="json", **chatbot_key.auth
    )

    assert (response.json()["scenario"], response.json()["decision"]) == (None, "out_of_scope")
    assert "package-not-received" not in [c["scenario"] for c in response.json()["candidates"]]


def test_identify__text_too_long__400_invalid(api, chatbot_key, trained_identifier):
    response = api.post(URL, {"text": "x" * 2001, "region": "US"}, format="json", **chatbot_key.auth)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_identify__llm_answer__llm_result(
    api, chatbot_key, trained_identifier, llm_configuration, scripted_llm
):
    scripted_llm.script(
        answer(
            {
                "scenario": "wrong-item",
                "confidence": 0.9,
                "candidates": [{"scenario": "wrong-item", "confidence": 0.9}],
            }
        )
    )

    response = api.post(
        URL,
        {"text": "this is not what I ordered", "region": "US", "identifier": "llm"},
        format="json",
        **chatbot_key.auth,
    )

    assert response.json() == {
        "scenario": "wrong-item",
        "confidence": 0.9,
        "decision": "matched",
        "candidates": [{"scenario": "wrong-item", "confidence": 0.9}],
        "model": "llm:scripted",
    }
    prompt = scripted_llm.requests[0]["json"]["messages"]
    assert "wrong-item: The customer received a different product" in prompt[0]["content"]
    assert prompt[1] == {"role": "user", "content": "this is not what I ordered"}


def test_identify__llm_says_none__out_of_scope(
    api, chatbot_key, trained_identifier, llm_configuration, scripted_llm
):
    scripted_llm.script(answer({"scenario": None, "confidence": 0.8}))

    response = api.post(
        URL,
        {"text": "tell me a joke", "region": "US", "identifier": "llm"},
        format="json",
        **chatbot_key.auth,
    )

    assert (response.json()["scenario"], response.json()["decision"]) == (None, "out_of_scope")


@pytest.mark.parametrize(
    ("steps", "outcome"),
    [
        ([stall(1.5), stall(1.5)], "timeout"),
        ([status(500), status(500)], "server_error"),
        ([status(429), status(429)], "rate_limit"),
        ([raw("garbage")], "malformed_output"),
        ([answer({"scenario": "invented-key", "confidence": 0.9})], "malformed_output"),
    ],
    ids=["stall", "500", "429", "malformed", "invented-scenario"],
)
def test_identify__llm_fails__embedded_fallback_and_call_recorded(
    api, chatbot_key, trained_identifier, llm_configuration, scripted_llm, steps, outcome
):
    scripted_llm.script(*steps)

    response = api.post(
        URL,
        {"text": "my parcel never arrived", "region": "US", "identifier": "llm"},
        format="json",
        **chatbot_key.auth,
    )

    assert response.status_code == 200
    assert response.json()["scenario"] == "package-not-received"
    assert response.json()["model"] == f"embedded-v{trained_identifier.version} (fallback: {outcome})"
    assert LLMCall.objects.values_list("purpose", flat=True).get() == "identify"


def test_identify__llm_fails_and_no_embedded_model__clarify(
    api, chatbot_key, scenario_catalogue, llm_configuration, scripted_llm
):
    scripted_llm.script(status(500), status(500))

    response = api.post(
        URL,
        {"text": "my parcel never arrived", "region": "US", "identifier": "llm"},
        format="json",
        **chatbot_key.auth,
    )

    assert response.json() == {
        "scenario": None,
        "confidence": 0.0,
        "decision": "clarify",
        "candidates": [],
        "model": "fallback:server_error",
    }
