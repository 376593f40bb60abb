"""`POST conversations/{id}/messages/` end to end: identification → routing → the seeded flows
through the gateway against the marketplace, with the Turn trace recorded."""

import pytest
from rest_framework.test import APIClient

from aftersales.models import Order
from scenarios.models import Conversation, ToolCall, Turn

pytest_plugins = ["tests.scenarios.flow_fixtures"]

ANN_EMAIL = "ann.lee@example.com"
EMAIL_PROMPT = (
    "I can help with that. First, to confirm who you are: what is the email address of your account?"
)
CANCEL_CONFIRM = (
    'To confirm: cancel order #W0000002 (T-Shirt) because it is "ordered by mistake". Gift card payments are '
    "refunded at once, other payments within 7 business days. Shall I go ahead (yes/no)?"
)


@pytest.fixture
def chat(flow_world):
    """Open a US chat conversation and send messages in it; returns (conversation id, send)."""
    api = APIClient()

    def open_(customer_id=None):
        client = flow_world.trusted if customer_id else flow_world.chatbot
        body = {"region": "US", "channel": "chat", **({"customer_id": customer_id} if customer_id else {})}
        conversation_id = api.post("/api/v1/conversations/", body, format="json", **client.auth).json()["id"]

        def send(text, status=200, **extra):
            response = api.post(
                f"/api/v1/conversations/{conversation_id}/messages/",
                {"text": text, **extra},
                format="json",
                **client.auth,
            )
            assert response.status_code == status, response.content
            return response.json()

        return conversation_id, send

    return open_


def _cancel_until_confirm(send):
    send("I want to cancel an order")
    send(ANN_EMAIL)
    send("#W0000002")
    return send("I ordered it by mistake")


def test_message__order_status_unverified__authenticates_then_answers_from_earlier_message(chat):
    conversation_id, send = chat()

    first = send("Where is my order #W0000003?")
    second = send(ANN_EMAIL)

    assert first == {
        "reply": EMAIL_PROMPT,
        "scenario": "order-status",
        "confidence": 0.9,
        "state": {"decision": "route", "step": "ask_email", "waiting": True, "slots": {}},
        "actions": [],
        "handoff": None,
        "ended": False,
    }
    assert second["reply"] == "Order #W0000003 (T-Shirt, Mug) is delivered. Tracking number: TRK3."
    assert second["actions"] == [
        {"name": "find_user_id_by_email", "arguments": {"email": ANN_EMAIL}, "status": "executed"},
        {"name": "get_user_details", "arguments": {"user_id": "ann_lee_1"}, "status": "executed"},
        {"name": "get_order_details", "arguments": {"order_id": "#W0000003"}, "status": "executed"},
    ]
    assert (second["ended"], second["state"]["slots"]) == (
        True,
        {"email": ANN_EMAIL, "order_id": "#W0000003"},
    )
    conversation = Conversation.objects.get(pk=conversation_id)
    assert (conversation.status, conversation.outcome, conversation.customer_id) == (
        "ended",
        "resolved",
        "ann_lee_1",
    )
    assert conversation.scenario_version.scenario.key == "order-status"


def test_message__cancel_confirmed__order_cancelled_through_the_gateway(chat):
    conversation_id, send = chat()

    assert send("I want to cancel an order")["reply"] == EMAIL_PROMPT
    assert send(ANN_EMAIL)["reply"] == "Which order would you like to cancel? Order ids look like #W1234567."
    assert send("#W0000002")["reply"] == (
        'Why would you like to cancel order #W0000002: "no longer needed" or "ordered by mistake"?'
    )
    assert send("I ordered it by mistake")["reply"] == CANCEL_CONFIRM
    done = send("yes please")

    assert done["reply"] == "Done: order #W0000002 is cancelled and its refund is on the way."
    assert done["actions"] == [
        {
            "name": "cancel_pending_order",
            "arguments": {"order_id": "#W0000002", "reason": "ordered by mistake"},
            "status": "executed",
        }
    ]
    assert done["ended"] is True
    assert Order.objects.get(pk="#W0000002").status == "cancelled"
    write = ToolCall.objects.get(conversation_id=conversation_id, name="cancel_pending_order")
    assert (write.source, write.confirmed, write.idempotency_key) == (
        "flow",
        True,
        f"{conversation_id}:5:flow:confirm",
    )


def test_message__customer_says_no_at_confirm__nothing_cancelled(chat):
    conversation_id, send = chat()
    _cancel_until_confirm(send)

    kept = send("no, keep it")

    assert kept["reply"] == "All right, I have not cancelled anything: order #W0000002 stays as it is."
    assert (kept["actions"], kept["ended"]) == ([], True)
    assert Order.objects.get(pk="#W0000002").status == "pending"
    assert not ToolCall.objects.filter(conversation_id=conversation_id, name="cancel_pending_order").exists()


def test_message__unclear_answer_at_confirm__asked_again_and_nothing_cancelled(chat):
    _conversation_id, send = chat()
    _cancel_until_confirm(send)

    again = send("hmm, what do you think?")

    assert again["reply"] == CANCEL_CONFIRM
    assert again["state"]["step"] == "confirm"
    assert Order.objects.get(pk="#W0000002").status == "pending"


def test_message__delivered_order__refused_before_any_write(chat):
    _conversation_id, send = chat()
    send("I want to cancel order #W0000003")

    refused = send(ANN_EMAIL)

    assert refused["reply"] == (
        "Order #W0000003 is delivered, so I cannot cancel it: Non-pending order cannot be cancelled. "
        "Only pending orders can be cancelled."
    )
    assert [a["name"] for a in refused["actions"]] == [
        "find_user_id_by_email",
        "get_user_details",
        "get_order_details",
    ]
    assert Order.objects.get(pk="#W0000003").status == "delivered"


def test_message__order_delivered_before_the_yes__tool_refusal_with_its_exact_text(chat):
    conversation_id, send = chat()
    _cancel_until_confirm(send)
    Order.objects.filter(pk="#W0000002").update(status="delivered")

    refused = send("yes")

    assert refused["reply"] == "I could not cancel order #W0000002: Non-pending order cannot be cancelled"
    assert refused["actions"][0]["status"] == "denied"
    call = ToolCall.objects.get(conversation_id=conversation_id, name="cancel_pending_order")
    assert (call.status, call.code, call.rule) == ("denied", "tool_rule", "cancel_pending_order")
    assert Order.objects.get(pk="#W0000002").status == "delivered"


def test_message__another_customers_order__denied_and_asked_again(chat):
    _conversation_id, send = chat()
    send("cancel my order please")
    send(ANN_EMAIL)

    denied = send("#W0000006")

    assert denied["reply"] == (
        "I could not open order #W0000006. This conversation may only access the data of its verified "
        "customer, not order #W0000006.\n\n"
        "Which order would you like to cancel? Order ids look like #W1234567."
    )
    assert denied["state"]["step"] == "ask_order"
    assert denied["state"]["slots"] == {"email": ANN_EMAIL}
    assert Order.objects.get(pk="#W0000006").status == "pending"


def test_message__identity_asserted_at_creation__no_authentication_asked(chat):
    _conversation_id, send = chat(customer_id="ann_lee_1")

    answer = send("where is order #W0000001")

    assert answer["reply"] == ("Order #W0000001 (T-Shirt, T-Shirt, Mug) is pending. It has not shipped yet.")
    assert [a["name"] for a in answer["actions"]] == ["get_user_details", "get_order_details"]


def test_message__out_of_scope__clarify_then_handoff_on_the_third(chat):
    conversation_id, send = chat()

    first = send("hello there")
    send("hmm")
    third = send("blah")

    assert (first["reply"][:37], first["scenario"], first["state"]["decision"]) == (
        "Sorry, I am not sure what you need. C",
        None,
        "clarify",
    )
    assert third["handoff"] == {"queue": "general", "summary": "Customer wrote: blah"}
    assert third["ended"] is True
    conversation = Conversation.objects.get(pk=conversation_id)
    assert (conversation.outcome, conversation.handoff_queue) == ("handed_off", "general")


def test_message__conversation_ended__409_and_no_turn(chat):
    conversation_id, send = chat(customer_id="ann_lee_1")
    send("where is order #W0000001")

    refused = send("and #W0000002?", status=409)

    assert refused["code"] == "conversation_ended"
    assert Turn.objects.filter(conversation_id=conversation_id).count() == 1


def test_message__turn_trace__turns_and_steps_recorded(chat):
    conversation_id, send = chat()
    send("Where is my order #W0000003?")
    send(ANN_EMAIL)

    turns = list(Turn.objects.filter(conversation_id=conversation_id).order_by("index"))
    steps = [(s["step"], s["type"], s["clause"]) for s in turns[1].steps]

    assert [(t.index, t.decision, t.scenario_key, t.ended) for t in turns] == [
        (1, "route", "order-status", False),
        (2, "continue", "order-status", True),
    ]
    assert turns[0].identification["model"] == "keywords"
    assert steps == [
        ("ask_email", "collect", "AUTH-1"),
        ("find_by_email", "tool", "AUTH-1"),
        ("read_user", "tool", "AUTH-2"),
        ("ask_order", "collect", "AUTH-2"),
        ("read_order", "tool", "AUTH-2"),
        ("status", "end", "AUTH-2"),
    ]
    (ask_order,) = [s for s in turns[1].steps if s["step"] == "ask_order"]
    assert ask_order["detail"] == {
        "slot": "order_id",
        "kind": "order_id",
        "status": "filled",
        "value": "#W0000003",
        "from_earlier_message": True,
    }


def test_message__empty_text__400(chat):
    _conversation_id, send = chat()

    assert send("   ", status=400)["code"] == "invalid"
    assert Turn.objects.count() == 0


def test_message__conversation_of_another_region__404(flow_world, regions):
    from scenarios.services.conversations import conversation_open

    conversation = conversation_open(actor=None, region=regions["GB"], channel="chat")

    response = APIClient().post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"text": "hi"},
        format="json",
        **flow_world.chatbot.auth,
    )

    assert response.status_code == 404
    assert Turn.objects.count() == 0


def test_conversation_trace__after_turns__turns_with_steps(chat, flow_world):
    conversation_id, send = chat(customer_id="ann_lee_1")
    send("where is order #W0000001")

    trace = APIClient().get(f"/api/v1/conversations/{conversation_id}/", **flow_world.trusted.auth).json()

    assert [(t["index"], t["decision"], t["scenario"], t["ended"]) for t in trace["turns"]] == [
        (1, "route", "order-status", True)
    ]
    assert [s["step"] for s in trace["turns"][0]["steps"]] == [
        "known_customer",
        "read_user",
        "ask_order",
        "read_order",
        "status",
    ]


def test_message__damaged_item_without_photos__judged_insufficient_and_asked_for_more(chat):
    conversation_id, send = chat(customer_id="ann_lee_1")
    send("my mug from order #W0000003 arrived broken")

    judged = send("The handle is cracked off.")

    assert judged["reply"].startswith("I need a bit more to process the claim: Insufficient: ")
    assert (judged["state"]["step"], judged["ended"]) == ("judge", False)
    (step,) = [
        s for s in Turn.objects.get(conversation_id=conversation_id, index=2).steps if s["step"] == "judge"
    ]
    assert (step["type"], step["clause"], step["detail"]["verdict"]) == (
        "judge_evidence",
        "DMG-2",
        "insufficient",
    )
    assert not ToolCall.objects.filter(
        conversation_id=conversation_id, name="return_delivered_order_items"
    ).exists()
