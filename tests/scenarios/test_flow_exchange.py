"""The exchange and modify-items flows end to end through `POST conversations/{id}/messages/`: the
new variant chosen from the customer's words, the price difference, the confirmation and the write
through the gateway against the small marketplace (#W0000003 delivered, #W0000002 pending, both
with a red or blue M T-Shirt; ann_lee_1's gift card holds $20)."""

import copy
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from aftersales.marketplace.tools import TOOLS
from aftersales.models import Order, PaymentMethod
from scenarios.engine.validate import validate_definition
from scenarios.flows.demo import seeded_definitions
from scenarios.models import ToolCall

pytest_plugins = ["tests.scenarios.flow_fixtures"]

EXCHANGE_ITEMS_PROMPT = (
    "Which items of order #W0000003 would you like to exchange? It has: T-Shirt (red, M); Mug (300ml)."
)
SHIRT_OPTIONS = "The T-Shirt is available in color black, blue or red; size L or M."
EXCHANGE_CONFIRM = (
    "Please note that an order can be exchanged only once: make sure every item you want to exchange is "
    "in this request.\n\nTo confirm: in order #W0000003, exchange the T-Shirt (color red, size M, item "
    "1001) for (color blue, size M, item 1002). Price difference: you pay $2.50, with gift_card_1. Shall I "
    "go ahead (yes/no)?"
)
MODIFY_CONFIRM = (
    "Please note that the items of an order can be changed only once: make sure every item you want to "
    "change is in this request.\n\nTo confirm: in order #W0000002, change the T-Shirt (color blue, size M, "
    "item 1002) to (color red, size M, item 1001). Price difference: you get $2.50 back, with gift_card_1. "
    "Shall I go ahead (yes/no)?"
)
GREEN_UNAVAILABLE = (
    f"The T-Shirt with color green, size M is not available. {SHIRT_OPTIONS} Which would you like?"
)
PRODUCT_READ = {"name": "get_product_details", "arguments": {"product_id": "P1"}, "status": "executed"}


@pytest.fixture
def send(flow_world):
    """A US chat conversation of the verified ann_lee_1; `send(text)` returns the response body."""
    api = APIClient()
    auth = flow_world.trusted.auth
    body = {"region": "US", "channel": "chat", "customer_id": "ann_lee_1"}
    conversation_id = api.post("/api/v1/conversations/", body, format="json", **auth).json()["id"]

    def send_(text):
        response = api.post(
            f"/api/v1/conversations/{conversation_id}/messages/", {"text": text}, format="json", **auth
        )
        assert response.status_code == 200, response.content
        return response.json()

    return send_


def _order_state(order_id: str) -> tuple:
    order = Order.objects.get(pk=order_id)
    items = list(order.items.order_by("position").values_list("item_id", "price"))
    return (
        order.status,
        items,
        order.exchange_items,
        order.exchange_new_items,
        order.exchange_payment_method_id,
        order.exchange_price_difference,
    )


def _gift_card_balance() -> Decimal:
    return PaymentMethod.objects.get(pk="gift_card_1").balance


def _exchange_until_confirm(send) -> dict:
    assert send("I want to exchange items of order #W0000003")["reply"] == EXCHANGE_ITEMS_PROMPT
    assert send("the t-shirt")["reply"] == (
        f"What would you like instead of the T-Shirt you have (color red, size M)? {SHIRT_OPTIONS}"
    )
    assert send("the same shirt in blue")["reply"] == (
        "The new items cost $2.50 more. Which payment method should pay the price difference: the original "
        "one of the order, or a gift card?"
    )
    return send("my gift card")


def test_exchange__variant_and_gift_card_confirmed__exchange_requested_with_price_difference(send):
    # given a customer at the confirmation of an exchange red → blue T-Shirt paid by gift card
    confirm = _exchange_until_confirm(send)
    assert confirm["reply"] == EXCHANGE_CONFIRM

    # when the customer says yes
    done = send("yes")

    # then the exchange is requested with exactly the listed arguments, and no money moves yet
    assert done["reply"] == (
        "Done: the exchange for order #W0000003 is requested. You will receive an email with how to send "
        "the items back; the new items ship once they arrive."
    )
    assert done["actions"] == [
        {
            "name": "exchange_delivered_order_items",
            "arguments": {
                "order_id": "#W0000003",
                "item_ids": ["1001"],
                "new_item_ids": ["1002"],
                "payment_method_id": "gift_card_1",
            },
            "status": "executed",
        }
    ]
    assert done["ended"] is True
    assert _order_state("#W0000003") == (
        "exchange requested",
        [("1001", Decimal("10.00")), ("2001", Decimal("5.00"))],
        ["1001"],
        ["1002"],
        "gift_card_1",
        Decimal("2.50"),
    )
    assert _gift_card_balance() == Decimal("20.00")


def test_exchange__customer_says_no__nothing_requested(send):
    # given
    _exchange_until_confirm(send)

    # when
    kept = send("no, leave it")

    # then
    assert kept["reply"] == "All right, I have not requested any exchange for order #W0000003."
    assert (kept["actions"], kept["ended"]) == ([], True)
    assert _order_state("#W0000003") == (
        "delivered",
        [("1001", Decimal("10.00")), ("2001", Decimal("5.00"))],
        None,
        None,
        None,
        None,
    )
    assert not ToolCall.objects.filter(name="exchange_delivered_order_items").exists()


def test_exchange__gift_card_balance_too_low__refused_with_the_tool_text(send):
    # given the black L T-Shirt costs $35 more than the red M one; the gift card holds $20
    send("I want to exchange the t-shirt of order #W0000003")
    send("in black, size L")
    send("with my gift card")

    # when the customer confirms
    refused = send("yes")

    # then the tool's own text is said and nothing changed
    assert refused["reply"] == (
        "I could not request the exchange: Insufficient gift card balance to pay for the price difference"
    )
    assert refused["ended"] is True
    assert _order_state("#W0000003")[0] == "delivered"
    assert _gift_card_balance() == Decimal("20.00")


def _modify_until_confirm(send) -> dict:
    assert send("I want to change the colour of a t-shirt in order #W0000002")["reply"] == (
        "What would you like to change on order #W0000002: the shipping address, the payment method, or "
        "items (size, colour)?"
    )
    assert send("the t-shirt, I want it in red")["reply"] == (
        "The new items cost $2.50 less. Which payment method should receive the price difference: the "
        "original one of the order, or a gift card?"
    )
    return send("the original one")


def test_modify_items__variant_confirmed__items_changed_and_difference_refunded(send):
    # given a customer at the confirmation of blue → red (refund $2.50 to the gift card that paid)
    assert _modify_until_confirm(send)["reply"] == MODIFY_CONFIRM

    # when
    done = send("yes please")

    # then
    assert done["reply"] == "Done: order #W0000002 is updated."
    assert done["actions"] == [
        {
            "name": "modify_pending_order_items",
            "arguments": {
                "order_id": "#W0000002",
                "item_ids": ["1002"],
                "new_item_ids": ["1001"],
                "payment_method_id": "gift_card_1",
            },
            "status": "executed",
        }
    ]
    assert _order_state("#W0000002")[:2] == ("pending (item modified)", [("1001", Decimal("10.00"))])
    assert _gift_card_balance() == Decimal("22.50")


def test_modify_items__customer_says_no__order_unchanged(send):
    # given
    _modify_until_confirm(send)

    # when
    kept = send("no")

    # then
    assert kept["reply"] == "All right, order #W0000002 stays as it is."
    assert (kept["actions"], kept["ended"]) == ([], True)
    assert _order_state("#W0000002")[:2] == ("pending", [("1002", Decimal("12.50"))])
    assert _gift_card_balance() == Decimal("20.00")
    assert not ToolCall.objects.filter(name="modify_pending_order_items").exists()


@pytest.mark.parametrize(
    ("text", "order_id", "reply"),
    [
        (
            "I want to exchange the mug of order #W0000004",
            "#W0000004",
            "Order #W0000004 is processed, so it cannot be exchanged: Non-delivered order cannot be "
            "exchanged. Only delivered orders can be exchanged.",
        ),
        (
            "I want to change the size of my t-shirt in order #W0000003",
            "#W0000003",
            "Order #W0000003 is delivered, so it cannot be changed: Non-pending order cannot be modified. "
            "Only pending orders can be modified.",
        ),
    ],
)
def test_items_flows__order_in_the_wrong_status__refused_with_the_contract_text(send, text, order_id, reply):
    # given an exchange of a processed order, or an item change of a delivered one
    before = _order_state(order_id)

    # when
    refused = send(text)

    # then the contract's own text is said and nothing changed
    assert (refused["reply"], refused["ended"]) == (reply, True)
    assert _order_state(order_id) == before


@pytest.mark.parametrize(
    ("messages", "order_id", "item_id"),
    [
        (["I want to exchange the t-shirt of order #W0000003"], "#W0000003", "1001"),
        (
            ["I want to change the colour of a t-shirt in order #W0000002", "the items: the t-shirt"],
            "#W0000002",
            "1002",
        ),
    ],
)
def test_items_flows__unavailable_variant__asked_back_with_what_is_available(
    send, messages, order_id, item_id
):
    # given the T-Shirt (M) is chosen for an exchange or an item change; green is not available
    for text in messages:
        send(text)
    before = _order_state(order_id)

    # when the customer asks for green
    reply = send("green please")

    # then nothing is chosen: the customer hears what is available and is asked again
    assert reply["reply"] == GREEN_UNAVAILABLE
    assert reply["actions"] == [PRODUCT_READ]
    assert (reply["state"]["step"], reply["state"]["waiting"]) == ("ask_new_items", True)
    assert reply["state"]["slots"]["item_ids"] == [item_id]
    assert "new_item_ids" not in reply["state"]["slots"]
    assert _order_state(order_id) == before


def test_validate__new_items_collected_before_the_items__slot_before_collect():
    # given the seeded exchange flow with the new items asked before the items
    flow = copy.deepcopy(seeded_definitions()["exchange-delivered-items"])
    flow["steps"]["is_delivered"]["rules"][0]["next"] = "ask_new_items"
    flow["steps"]["ask_new_items"]["next"] = "ask_items"
    flow["steps"]["ask_items"]["next"] = "ask_payment"

    # when
    errors = validate_definition(flow, tools=TOOLS)

    # then the `new_items` collect is refused: it needs the chosen items
    assert [(e.step, e.code, e.message) for e in errors] == [
        (
            "ask_new_items",
            "slot_before_collect",
            "slot 'item_ids' is read before a collect step fills it on every path from 'known_customer'",
        )
    ]
