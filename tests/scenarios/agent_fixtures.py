"""Fixtures of the agent tests (loaded with ``pytest_plugins``): the gateway tests' marketplace and
SOPs in US, an agent scenario version released and routed, an identifier that names it, the scripted
LLM as the default model configuration, and a chat helper over the real API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from scenarios.identification import providers
from scenarios.identification.providers import IdentificationResult
from scenarios.models import RoutingRule
from scenarios.services.catalogue import scenario_upsert
from scenarios.services.flows import scenario_version_create, scenario_version_release
from tests.scenarios.agent_helpers import ALLOWED_TOOLS, ANN, INSTRUCTIONS, SCENARIO

pytest_plugins = ["tests.scenarios.gateway_fixtures"]


@pytest.fixture
def agent_llm(llm_configuration):
    """The scripted LLM, one attempt per call and a short timeout: each failure is one scripted step."""
    llm_configuration.timeout_seconds, llm_configuration.max_attempts = 0.3, 1
    llm_configuration.save(update_fields=["timeout_seconds", "max_attempts"])
    return llm_configuration


@pytest.fixture
def agent_version(world, monkeypatch):
    scenario = scenario_upsert(
        actor=None,
        key=SCENARIO,
        name="Order help",
        description="Questions about orders.",
        region_codes=["US"],
    )
    version = scenario_version_create(
        actor=None,
        scenario=scenario,
        kind="agent",
        definition={"sop": "return-delivered-item"},
        instructions=INSTRUCTIONS,
        allowed_tools=ALLOWED_TOOLS,
    )
    scenario_version_release(actor=None, version=version)
    rule = RoutingRule(region_id="US", scenario=scenario, action=RoutingRule.Action.ROUTE, min_confidence=0.5)
    rule.full_clean()
    rule.save()
    monkeypatch.setitem(
        providers.PROVIDERS,
        "embedded",
        lambda text, region: IdentificationResult(SCENARIO, 0.9, "matched", [], "fixed"),
    )
    return version


@pytest.fixture
def agent_chat(agent_version, agent_llm, api_clients):
    """Open a US chat conversation verified as Ann (a trusted client asserts her identity)."""
    api = APIClient()
    auth = api_clients.trusted.auth
    body = {"region": "US", "channel": "chat", "customer_id": ANN}
    conversation_id = api.post("/api/v1/conversations/", body, format="json", **auth).json()["id"]

    def send(text, status=200):
        response = api.post(
            f"/api/v1/conversations/{conversation_id}/messages/", {"text": text}, format="json", **auth
        )
        assert response.status_code == status, response.content
        return response.json()

    send.conversation_id = conversation_id
    send.trace = lambda: api.get(f"/api/v1/conversations/{conversation_id}/", **auth).json()
    return send
