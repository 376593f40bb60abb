"""Fixtures of the gateway and conversation tests (loaded with ``pytest_plugins``): the small
marketplace in US, the SOPs that bound the writes published in US through the real services, and
conversations opened through the real service."""

from __future__ import annotations

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
from scenarios.services.conversations import conversation_open
from tests.aftersales.conftest import build_marketplace_document

REASONS = ["no longer needed", "ordered by mistake", "delivery too slow"]
DESTINATIONS = ["original_payment_method", "gift_card", "wallet"]
# key → (prefix, [(name, type, value, unit, extra)]) — the parameters the guard reads.
SOPS = {
    "authentication": ("AUTH", []),
    "order-cancellation": ("CAN", [("cancel_reasons", "list", REASONS[:2], "", {"choices": REASONS})]),
    "order-modification": ("MOD", []),
    "return-delivered-item": (
        "RET",
        [
            ("refund_destinations", "list", DESTINATIONS[:2], "", {"choices": DESTINATIONS}),
            ("auto_refund_cap", "decimal", "50.00", "USD", {}),
        ],
    ),
    "exchange-delivered-item": ("EXC", []),
    "human-handoff": (
        "HND",
        [("handoff_queue", "choice", "priority", "", {"choices": ["general", "priority"]})],
    ),
}


def publish_sop(key: str, region_codes=("US",), params=None) -> None:
    """Create, review and publish one SOP with one clause and ``params`` (default: SOPS[key])."""
    User = get_user_model()
    author = User.objects.get_or_create(
        username="sop-author", defaults={"is_superuser": True, "is_staff": True}
    )[0]
    reviewer = User.objects.get_or_create(
        username="sop-reviewer", defaults={"is_superuser": True, "is_staff": True}
    )[0]
    prefix, default_params = SOPS[key]
    sop = sop_create(
        actor=author,
        key=key,
        title=key,
        owning_team="CS",
        clause_prefix=prefix,
        region_codes=list(region_codes),
    )
    version = sop.versions.get()
    sop_clause_set(actor=author, version=version, clause_id=f"{prefix}-1", title="Rule", text="The rule.")
    for name, type_, value, unit, extra in default_params if params is None else params:
        sop_parameter_set(
            actor=author, version=version, name=name, type=type_, value=value, unit=unit, **extra
        )
    sop_version_submit(actor=author, version=version)
    sop_version_review(actor=reviewer, version=version, decision="approved", comment="ok")
    sop_version_publish(actor=reviewer, version=version)


@pytest.fixture
def us_marketplace(regions):
    """The small marketplace of the aftersales tests, every customer and order in US."""
    marketplace_load(path_or_data=build_marketplace_document(), region_codes=["US"])


@pytest.fixture
def published_sops(regions):
    for key in SOPS:
        publish_sop(key)


@pytest.fixture
def api_clients(regions):
    from aftersales.services.access import api_client_create

    def make(name, region_codes=("US",), **kwargs):
        client, key = api_client_create(actor=None, name=name, region_codes=region_codes, **kwargs)
        return SimpleNamespace(client=client, key=key, auth={"HTTP_AUTHORIZATION": f"Api-Key {key}"})

    return SimpleNamespace(
        chatbot=make("chatbot"),
        trusted=make("trusted-app", may_assert_identity=True),
        gb_only=make("gb-bot", region_codes=("GB",)),
    )


@pytest.fixture
def open_conversation(regions, api_clients):
    """Open a US chat conversation of the chatbot client, optionally verified as ``customer_id``."""

    def open_(customer_id=None, client=None):
        actor = client or (api_clients.trusted.client if customer_id else api_clients.chatbot.client)
        return conversation_open(actor=actor, region=regions["US"], channel="chat", customer_id=customer_id)

    return open_


@pytest.fixture
def world(us_marketplace, published_sops, open_conversation):
    """The marketplace, the SOPs and a helper to open conversations: what most gateway tests need."""
    return open_conversation
