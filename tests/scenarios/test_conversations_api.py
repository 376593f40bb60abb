"""The conversation API: open, tool calls through the guard (with TOOLS.md's exact texts), the trace
and feedback, region scoping and idempotency over HTTP."""

import uuid

import pytest
from rest_framework.test import APIClient

from aftersales.models import Order
from scenarios.models import Conversation, ConversationEvent, ToolCall

pytest.register_assert_rewrite("tests.scenarios.gateway_fixtures")
pytest_plugins = ["tests.scenarios.gateway_fixtures"]

ANN = "ann_lee_1"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def chat(world, api, api_clients):
    """An open US conversation of the chatbot client verified as Ann, and a tool-call helper."""
    conversation = world(ANN, client=api_clients.trusted.client)

    def call(
        name, arguments, key=None, confirmed=False, auth=api_clients.trusted.auth, conversation=conversation
    ):
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        return api.post(
            f"/api/v1/conversations/{conversation.pk}/tool-calls/",
            {"name": name, "arguments": arguments, "confirmed": confirmed},
            format="json",
            **auth,
            **headers,
        )

    call.conversation = conversation
    return call


# -------------------------------------------------------------------------------- open


def test_post_conversations__plain_client__201_unverified(api, api_clients):
    response = api.post(
        "/api/v1/conversations/",
        {"region": "us", "channel": "web"},
        format="json",
        **api_clients.chatbot.auth,
    )

    assert response.status_code == 201
    conversation = Conversation.objects.get()
    assert response.json() == {"id": str(conversation.pk), "region": "US", "verified_customer_id": None}
    assert (conversation.channel, conversation.status, conversation.api_client_id) == (
        "web",
        "open",
        api_clients.chatbot.client.pk,
    )


def test_post_conversations__trusted_client_asserts_customer__201_verified(api, api_clients, us_marketplace):
    response = api.post(
        "/api/v1/conversations/",
        {"region": "US", "channel": "app", "customer_id": ANN},
        format="json",
        **api_clients.trusted.auth,
    )

    assert response.status_code == 201
    assert response.json()["verified_customer_id"] == ANN
    assert Conversation.objects.get().verified_via == "asserted"


def test_post_conversations__untrusted_client_asserts_customer__403_and_nothing_created(
    api, api_clients, us_marketplace
):
    response = api.post(
        "/api/v1/conversations/",
        {"region": "US", "channel": "chat", "customer_id": ANN},
        format="json",
        **api_clients.chatbot.auth,
    )

    assert response.status_code == 403
    assert response.json()["code"] == "identity_assertion_forbidden"
    assert Conversation.objects.count() == 0
    assert ConversationEvent.objects.count() == 0


def test_post_conversations__unknown_customer__400_and_nothing_created(api, api_clients, us_marketplace):
    response = api.post(
        "/api/v1/conversations/",
        {"region": "US", "channel": "chat", "customer_id": "nobody_0"},
        format="json",
        **api_clients.trusted.auth,
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "unknown_customer",
        "message": "Unknown customer 'nobody_0'.",
        "details": {"customer_id": ["No customer 'nobody_0'."]},
    }
    assert Conversation.objects.count() == 0


def test_post_conversations__region_outside_the_clients_scope__403_and_nothing_created(api, api_clients):
    response = api.post(
        "/api/v1/conversations/",
        {"region": "GB", "channel": "chat"},
        format="json",
        **api_clients.chatbot.auth,
    )

    assert (response.status_code, response.json()["code"]) == (403, "region_forbidden")
    assert Conversation.objects.count() == 0


def test_post_conversations__unknown_channel__400(api, api_clients):
    response = api.post(
        "/api/v1/conversations/",
        {"region": "US", "channel": "fax"},
        format="json",
        **api_clients.chatbot.auth,
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert Conversation.objects.count() == 0


# -------------------------------------------------------------------------- tool calls


def test_post_tool_call__read_executed__200_with_result(chat):
    response = chat("get_order_details", {"order_id": "#W2"})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["result"]["order_id"], body["result"]["status"]) == (
        "executed",
        "#W2",
        "pending",
    )
    assert sorted(body) == ["result", "status"]


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        (
            "cancel_pending_order",
            {"order_id": "#W3", "reason": "no longer needed"},
            "Non-pending order cannot be cancelled",
        ),
        (
            "modify_pending_order_address",
            {
                "order_id": "#W3",
                "address1": "1 Main St",
                "address2": "",
                "city": "Austin",
                "state": "TX",
                "country": "USA",
                "zip": "73301",
            },
            "Non-pending order cannot be modified",
        ),
        (
            "return_delivered_order_items",
            {"order_id": "#W3", "item_ids": ["1001"], "payment_method_id": "paypal_1"},
            "Payment method should be the original payment method",
        ),
        (
            "return_delivered_order_items",
            {"order_id": "#W3", "item_ids": ["2002"], "payment_method_id": "credit_card_1"},
            "Some item not found",
        ),
        (
            "modify_pending_order_payment",
            {"order_id": "#W1", "payment_method_id": "gift_card_1"},
            "Insufficient gift card balance to pay for the order",
        ),
        (
            "modify_pending_order_payment",
            {"order_id": "#W1", "payment_method_id": "credit_card_1"},
            "The new payment method should be different from the current one",
        ),
        ("get_order_details", {"order_id": "#W404"}, "Order not found"),
        ("get_product_details", {"product_id": "P9"}, "Product not found"),
    ],
)
def test_post_tool_call__tool_rule_broken__422_with_the_exact_tools_md_text(chat, name, arguments, message):
    before = dict(Order.objects.values_list("order_id", "status"))

    response = chat(name, arguments, key="k-1", confirmed=True)

    assert response.status_code == 422
    assert response.json() == {"status": "denied", "code": "tool_rule", "rule": name, "message": message}
    assert dict(Order.objects.values_list("order_id", "status")) == before


def test_post_tool_call__policy_denial__422_with_rule(chat):
    response = chat(
        "cancel_pending_order", {"order_id": "#W6", "reason": "no longer needed"}, key="k-1", confirmed=True
    )

    assert response.status_code == 422
    assert response.json() == {
        "status": "denied",
        "code": "policy_denied",
        "rule": "auth.own_data_only",
        "message": "This conversation may only access the data of its verified customer, not order #W6.",
    }
    assert Order.objects.get(pk="#W6").status == "pending"


def test_post_tool_call__unknown_tool__404(chat):
    response = chat("refund_everything", {})

    assert (response.status_code, response.json()["code"]) == (404, "unknown_tool")
    assert ToolCall.objects.count() == 0


def test_post_tool_call__bad_arguments__400(chat):
    response = chat("cancel_pending_order", {"order_id": "#W1", "reason": "bored"}, key="k-1", confirmed=True)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_arguments"
    assert response.json()["details"]["arguments"][0]["path"] == "/reason"
    assert Order.objects.get(pk="#W1").status == "pending"


def test_post_tool_call__write_without_key__400(chat):
    response = chat("cancel_pending_order", {"order_id": "#W1", "reason": "no longer needed"}, confirmed=True)

    assert (response.status_code, response.json()["code"]) == (400, "idempotency_key_required")
    assert Order.objects.get(pk="#W1").status == "pending"


def test_post_tool_call__same_key_twice__second_is_the_stored_response(chat):
    arguments = {"order_id": "#W1", "reason": "no longer needed"}
    first = chat("cancel_pending_order", arguments, key="k-1", confirmed=True)

    second = chat("cancel_pending_order", arguments, key="k-1", confirmed=True)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == first.json()
    assert (first.headers.get("Idempotent-Replayed"), second["Idempotent-Replayed"]) == (None, "true")
    assert ToolCall.objects.count() == 1


def test_post_tool_call__same_key_other_payload__409_and_nothing_changed(chat):
    chat("cancel_pending_order", {"order_id": "#W1", "reason": "no longer needed"}, key="k-1", confirmed=True)

    response = chat(
        "cancel_pending_order", {"order_id": "#W2", "reason": "no longer needed"}, key="k-1", confirmed=True
    )

    assert (response.status_code, response.json()["code"]) == (409, "idempotency_conflict")
    assert Order.objects.get(pk="#W2").status == "pending"
    assert ToolCall.objects.count() == 1


def test_post_tool_call__conversation_of_a_region_outside_scope__404_and_nothing_recorded(chat, api_clients):
    response = chat("calculate", {"expression": "1 + 1"}, auth=api_clients.gb_only.auth)

    assert (response.status_code, response.json()["code"]) == (404, "conversation_not_found")
    assert ToolCall.objects.count() == 0


def test_post_tool_call__unknown_conversation__404(chat):
    response = chat("calculate", {"expression": "1 + 1"}, conversation=Conversation(pk=uuid.uuid4()))

    assert (response.status_code, response.json()["code"]) == (404, "conversation_not_found")


# ------------------------------------------------------------------------------- trace


def test_get_conversation__after_calls__whole_trace_in_order(chat, api, api_clients):
    chat("get_order_details", {"order_id": "#W6"})
    chat("cancel_pending_order", {"order_id": "#W1", "reason": "no longer needed"}, key="k-1", confirmed=True)
    chat("transfer_to_human_agents", {"summary": "Wants more."})

    response = api.get(f"/api/v1/conversations/{chat.conversation.pk}/", **api_clients.trusted.auth)

    assert response.status_code == 200
    trace = response.json()
    assert {
        k: trace[k] for k in ("region", "channel", "status", "outcome", "verified_customer_id", "handoff")
    } == {
        "region": "US",
        "channel": "chat",
        "status": "ended",
        "outcome": "handed_off",
        "verified_customer_id": ANN,
        "handoff": {"queue": "priority", "summary": "Wants more."},
    }
    assert [(c["seq"], c["name"], c["status"], c["rule"]) for c in trace["tool_calls"]] == [
        (1, "get_order_details", "denied", "auth.own_data_only"),
        (2, "cancel_pending_order", "executed", ""),
        (3, "transfer_to_human_agents", "executed", ""),
    ]
    assert trace["tool_calls"][1]["idempotency_key"] == "k-1"
    assert [e["kind"] for e in trace["events"]] == ["opened", "customer_verified", "handed_off"]
    assert (trace["totals"]["tool_calls"], trace["totals"]["denied"], trace["totals"]["failed"]) == (3, 1, 0)
    assert trace["totals"]["tool_ms"] == pytest.approx(
        sum(c["duration_ms"] for c in trace["tool_calls"]), abs=0.01
    )
    assert (trace["turns"], trace["feedback"], trace["state"]) == ([], None, {})


def test_get_conversation__other_regions_client__404(chat, api, api_clients):
    response = api.get(f"/api/v1/conversations/{chat.conversation.pk}/", **api_clients.gb_only.auth)

    assert (response.status_code, response.json()["code"]) == (404, "conversation_not_found")


# ---------------------------------------------------------------------------- feedback


def test_post_feedback__first_time__200_and_recorded(chat, api, api_clients):
    url = f"/api/v1/conversations/{chat.conversation.pk}/feedback/"

    response = api.post(url, {"csat": 4, "resolved": True}, format="json", **api_clients.trusted.auth)

    assert response.status_code == 200
    assert response.json() == {"id": str(chat.conversation.pk), "csat": 4, "resolved": True}
    conversation = Conversation.objects.get()
    assert (conversation.csat, conversation.resolved_by_customer) == (4, True)
    assert conversation.events.get(kind="feedback").data == {"csat": 4, "resolved": True, "by": "trusted-app"}


def test_post_feedback__second_time__409_and_first_kept(chat, api, api_clients):
    url = f"/api/v1/conversations/{chat.conversation.pk}/feedback/"
    api.post(url, {"csat": 4, "resolved": True}, format="json", **api_clients.trusted.auth)

    response = api.post(url, {"csat": 1, "resolved": False}, format="json", **api_clients.trusted.auth)

    assert (response.status_code, response.json()["code"]) == (409, "feedback_already_given")
    conversation = Conversation.objects.get()
    assert (conversation.csat, conversation.resolved_by_customer) == (4, True)
    assert conversation.events.filter(kind="feedback").count() == 1


@pytest.mark.parametrize("csat", [0, 6, "great"])
def test_post_feedback__csat_out_of_range__400_and_nothing_recorded(chat, api, api_clients, csat):
    url = f"/api/v1/conversations/{chat.conversation.pk}/feedback/"

    response = api.post(url, {"csat": csat, "resolved": True}, format="json", **api_clients.trusted.auth)

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert Conversation.objects.get().csat is None


def test_schema__tool_calls_operation__declares_the_idempotency_key_header_and_422(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")

    operation = response.json()["paths"]["/api/v1/conversations/{conversation_id}/tool-calls/"]["post"]
    headers = [p for p in operation["parameters"] if p["in"] == "header"]
    assert [(p["name"], p.get("required", False)) for p in headers] == [("Idempotency-Key", False)]
    assert sorted(operation["responses"]) == ["200", "400", "401", "403", "404", "409", "422", "429", "502"]
