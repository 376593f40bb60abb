"""The package-not-received flow end to end through `POST conversations/{id}/messages/` on the small
marketplace (ann_lee_1: #W0000004 processed, a 7.25 mug with tracking TRK4; #W0000002 pending), with
the demo SOP's base parameters in US (text and logistics events required, wait 2 days after the ETA,
cap 100.00, reship allowed): the description is asked, the carrier's events decide, the hand-off
lands in the flow's queue, and the judge finds the verified customer's order in any region."""

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from aftersales.models import Order
from scenarios.models import Conversation, EvidenceJudgment, ToolCall

pytest_plugins = ["tests.scenarios.flow_fixtures"]

DESCRIPTION_PROMPT = (
    "I am sorry it has not arrived. In a few words, what happened: what does the tracking show, and have "
    "you checked with neighbours or your building's reception?"
)
LOST = [
    {"kind": "logistics_event", "event": "shipped", "at": "2026-01-01T10:00:00Z"},
    {"kind": "logistics_event", "event": "lost", "at": "2026-01-03T10:00:00Z"},
]
SUFFICIENT = (
    "Sufficient: order shipped, logistics consistent with the claim, logistics events, a description, "
    "fewer than 2 claims in 90 days, amount within the auto-refund cap of 100.00."
)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def send(flow_world):
    """A US chat conversation of the verified ann_lee_1; `send(text, evidence=)` returns the body."""
    api = APIClient()
    auth = flow_world.trusted.auth
    body = {"region": "US", "channel": "chat", "customer_id": "ann_lee_1"}
    conversation_id = api.post("/api/v1/conversations/", body, format="json", **auth).json()["id"]

    def send_(text, evidence=None):
        payload = {"text": text, **({"evidence": evidence} if evidence else {})}
        response = api.post(
            f"/api/v1/conversations/{conversation_id}/messages/", payload, format="json", **auth
        )
        assert response.status_code == 200, response.content
        return response.json()

    send_.conversation_id = conversation_id
    return send_


def test_package_not_received__carrier_reports_lost__description_asked_then_reship_in_the_logistics_queue(
    send,
):
    # given the customer reports a processed order the carrier lost
    first = send("my order #W0000004 never arrived", evidence=LOST)

    # when they describe what happened
    second = send("The courier's page says the parcel was lost.")

    # then the description was asked, the judgment used it, and logistics get the reship
    assert (first["reply"], first["ended"], first["state"]["step"]) == (
        DESCRIPTION_PROMPT,
        False,
        "ask_description",
    )
    assert second["handoff"] == {
        "queue": "logistics",
        "summary": f"Package of order #W0000004 lost in transit ({SUFFICIENT}): reship the items if they are "
        "in stock, else refund up to the cap of 100.00. Customer: "
        '"The courier\'s page says the parcel was lost."',
    }
    judgment = EvidenceJudgment.objects.get()
    assert (judgment.order_id, judgment.region_id, judgment.verdict, judgment.claim["description"]) == (
        "#W0000004",
        "US",
        "sufficient",
        "The courier's page says the parcel was lost.",
    )
    conversation = Conversation.objects.get(pk=send.conversation_id)
    assert (conversation.outcome, conversation.handoff_queue) == ("handed_off", "logistics")
    assert list(conversation.events.values_list("kind", "data")) == [
        ("opened", {"by": "trusted", "channel": "chat"}),
        ("customer_verified", {"by": "trusted", "customer_id": "ann_lee_1", "via": "asserted"}),
        (
            "handed_off",
            {
                "by": "runtime",
                "outcome": "handed_off",
                "handoff_queue": "general",
                "handoff_summary": second["handoff"]["summary"],
            },
        ),
        ("handed_off", {"by": "runtime", "handoff_queue": "logistics", "requeued": True}),
    ]


def test_package_not_received__carrier_eta_not_passed_by_the_wait__told_to_wait_and_nobody_handed_it(send):
    # given the carrier shipped yesterday and expects to deliver tomorrow
    now = datetime.now(UTC)
    eta = now + timedelta(days=1)
    events = [
        {
            "kind": "logistics_event",
            "event": "shipped",
            "at": _iso(now - timedelta(days=1)),
            "eta": _iso(eta),
        },
    ]
    send("my order #W0000004 never arrived", evidence=events)

    # when
    answer = send("Nothing here yet, tracking says in transit.")

    # then
    wait_until = (eta + timedelta(days=2)).date().isoformat()
    assert answer["reply"] == (
        "Order #W0000004 is processed and may still arrive: the carrier's expected delivery date has not "
        "passed by 2 days yet, so no claim is opened now. "
        f"If it has not arrived by {wait_until}, please write to us again."
    )
    assert (answer["handoff"], answer["ended"]) == (None, True)
    conversation = Conversation.objects.get(pk=send.conversation_id)
    assert (conversation.outcome, conversation.handoff_queue) == ("resolved", "")
    assert not ToolCall.objects.filter(name="transfer_to_human_agents").exists()


def test_package_not_received__pending_order__not_shipped_and_no_claim(send):
    answer = send("my order #W0000002 never arrived")

    assert answer["reply"] == (
        "Order #W0000002 has not shipped yet (it is pending), so it cannot be lost: please wait for it to "
        "ship, you will get a tracking number then. No claim is opened."
    )
    assert (answer["handoff"], answer["ended"]) == (None, True)
    assert EvidenceJudgment.objects.count() == 0


def test_package_not_received__no_tracking_events__logistics_check_the_tracking_number(send):
    send("my order #W0000004 never arrived")

    answer = send("It just never came.")

    assert answer["handoff"] == {
        "queue": "logistics",
        "summary": "Order #W0000004 (processed) reported not received with no tracking events: look up the "
        'carrier\'s tracking (TRK4) and decide. Customer: "It just never came."',
    }
    assert EvidenceJudgment.objects.get().missing == ["logistics_event"]


def test_package_not_received__order_of_another_region__judged_under_the_conversations_sop(send):
    # given ann's order is recorded in GB while she writes to the US chat (the gateway serves it)
    Order.objects.filter(pk="#W0000004").update(region_id="GB")
    send("my order #W0000004 never arrived", evidence=LOST)

    # when
    answer = send("The courier's page says the parcel was lost.")

    # then the judge found her order and applied the US SOP, as the flow's own reads did
    assert answer["handoff"]["summary"].startswith(
        f"Package of order #W0000004 lost in transit ({SUFFICIENT})"
    )
    judgment = EvidenceJudgment.objects.get()
    assert (judgment.order_id, judgment.region_id, judgment.verdict) == ("#W0000004", "US", "sufficient")
