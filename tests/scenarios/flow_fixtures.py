"""Fixtures of the flow, routing and message tests (loaded with ``pytest_plugins``): the small
marketplace with τ²-shaped order ids, the demo SOPs' clauses and parameters published in US and GB,
the scenario catalogue with the seeded flows released and routed, and a keyword identifier standing
in for the trained model (training one takes seconds; identification has its own tests)."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from aftersales.marketplace.io import marketplace_load
from aftersales.services.sops import (
    sop_clause_set,
    sop_create,
    sop_parameter_set,
    sop_version_publish,
    sop_version_review,
    sop_version_submit,
)
from aftersales.sops.demo_content import POLICY_PATH, own_specs, policy_sections, policy_specs
from scenarios.identification import providers
from scenarios.identification.providers import IdentificationResult
from tests.aftersales.conftest import build_marketplace_document

FLOW_REGIONS = ("US", "GB")
# Keyword → scenario, in order: the first whose pattern is in the message wins.
KEYWORDS = [
    (r"\bcancel", "cancel-order"),
    (r"\b(where|status|track)", "order-status"),
    (r"\b(broken|damaged|cracked)", "damaged-item"),
    (r"\b(wrong item|wrong colou?r|not what i ordered)", "wrong-item"),
    (r"\b(never arrived|not received|lost)", "package-not-received"),
    (r"\bexchange", "exchange-delivered-items"),
    (r"\breturn", "return-delivered-items"),
    (r"\b(human|person|agent)", "human-handoff"),
    (r"\b(change|update).*(address|payment|size|colou?r)", "modify-order"),
]


def seven_digit(order_id: str) -> str:
    return f"#W{int(order_id[2:]):07d}"


def flow_marketplace_document() -> dict:
    """The aftersales tests' marketplace with order ids as the extractors know them (#W0000001)."""
    text = json.dumps(build_marketplace_document())
    return json.loads(re.sub(r'"#W(\d+)"', lambda m: json.dumps(seven_digit(m.group(0).strip('"'))), text))


def keyword_identify(text: str, region_code: str) -> IdentificationResult:
    lowered = text.lower()
    for pattern, key in KEYWORDS:
        if re.search(pattern, lowered):
            return IdentificationResult(
                key, 0.9, "matched", [{"scenario": key, "confidence": 0.9}], "keywords"
            )
    return IdentificationResult(None, 0.2, "out_of_scope", [], "keywords")


def publish_demo_sops(region_codes=FLOW_REGIONS) -> None:
    """Every demo SOP's base clauses and parameters, published in ``region_codes`` (no variants)."""
    User = get_user_model()
    author = User.objects.get_or_create(username="flow-author", defaults={"is_superuser": True})[0]
    reviewer = User.objects.get_or_create(username="flow-reviewer", defaults={"is_superuser": True})[0]
    specs = [*policy_specs(policy_sections(POLICY_PATH.read_text(encoding="utf-8"))), *own_specs()]
    for spec in specs:
        sop = sop_create(
            actor=author,
            key=spec["key"],
            title=spec["title"],
            owning_team=spec["team"],
            clause_prefix=spec["prefix"],
            region_codes=list(region_codes),
        )
        version = sop.versions.get()
        for number, (title, text) in enumerate(spec["clauses"], start=1):
            sop_clause_set(
                actor=author,
                version=version,
                clause_id=f"{spec['prefix']}-{number}",
                title=title,
                text=text,
                position=number * 10,
            )
        for param in spec["params"]:
            sop_parameter_set(actor=author, version=version, **param)
        sop_version_submit(actor=author, version=version)
        sop_version_review(actor=reviewer, version=version, decision="approved", comment="ok")
        sop_version_publish(actor=reviewer, version=version)


@pytest.fixture
def keyword_identifier(monkeypatch):
    monkeypatch.setitem(providers.PROVIDERS, "embedded", keyword_identify)


@pytest.fixture
def flow_marketplace(regions):
    marketplace_load(path_or_data=flow_marketplace_document(), region_codes=["US"])


@pytest.fixture
def demo_sops(regions):
    publish_demo_sops()


@pytest.fixture
def seeded_flows(demo_sops, scenario_catalogue):
    from scenarios.flows.demo import flows_seed_demo

    return flows_seed_demo(actor=None)


@pytest.fixture
def chatbot_client(regions):
    from aftersales.services.access import api_client_create

    def make(name, **kwargs):
        client, key = api_client_create(actor=None, name=name, region_codes=["US"], **kwargs)
        return SimpleNamespace(client=client, auth={"HTTP_AUTHORIZATION": f"Api-Key {key}"})

    return SimpleNamespace(chatbot=make("chatbot"), trusted=make("trusted", may_assert_identity=True))


@pytest.fixture
def flow_world(flow_marketplace, seeded_flows, keyword_identifier, chatbot_client):
    return chatbot_client
