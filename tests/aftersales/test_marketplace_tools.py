import inspect
from decimal import Decimal

import pytest

from aftersales.marketplace.io import marketplace_export
from aftersales.marketplace.tools import (
    TOOLS,
    ToolError,
    calculate,
    cancel_pending_order,
    exchange_delivered_order_items,
    find_user_id_by_email,
    find_user_id_by_name_zip,
    get_item_details,
    get_order_details,
    get_product_details,
    get_user_details,
    list_all_product_types,
    modify_pending_order_address,
    modify_pending_order_items,
    modify_pending_order_payment,
    modify_user_address,
    return_delivered_order_items,
    transfer_to_human_agents,
)
from aftersales.models import PaymentMethod
from config.errors import RuleViolation

NEW_ADDRESS = {
    "address1": "9 New Road",
    "address2": "",
    "city": "Austin",
    "state": "TX",
    "country": "USA",
    "zip": "73301",
}
NEW_ADDRESS_JSON = {
    key: NEW_ADDRESS[key] for key in ("address1", "address2", "city", "country", "state", "zip")
}


def _balance(method_id: str) -> Decimal:
    return PaymentMethod.objects.get(pk=method_id).balance


def _payment(amount: float, method_id: str, kind: str = "payment") -> dict:
    return {"transaction_type": kind, "amount": amount, "payment_method_id": method_id}


# ------------------------------------------------------------------- registry


def test_tools_registry__every_contract_tool__registered_with_its_kind():
    assert {name: spec.kind for name, spec in TOOLS.items()} == {
        "find_user_id_by_email": "read",
        "find_user_id_by_name_zip": "read",
        "get_user_details": "read",
        "get_order_details": "read",
        "get_product_details": "read",
        "get_item_details": "read",
        "list_all_product_types": "read",
        "calculate": "read",
        "cancel_pending_order": "write",
        "modify_pending_order_address": "write",
        "modify_pending_order_payment": "write",
        "modify_pending_order_items": "write",
        "return_delivered_order_items": "write",
        "exchange_delivered_order_items": "write",
        "modify_user_address": "write",
        "transfer_to_human_agents": "handoff",
    }


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_tools_registry__schema__names_exactly_the_function_arguments(name):
    spec = TOOLS[name]
    arguments = list(inspect.signature(spec.function).parameters)
    assert spec.name == name
    assert list(spec.parameters["properties"]) == arguments
    assert spec.parameters["required"] == arguments
    assert spec.parameters["additionalProperties"] is False
    assert spec.description.endswith(".")


def test_tool_error__is_a_rule_violation_with_code_tool_rule():
    error = ToolError("Invalid reason")
    assert isinstance(error, RuleViolation)
    assert (error.code, error.status, error.message) == ("tool_rule", 422, "Invalid reason")


# ---------------------------------------------------------- every refused rule

REFUSALS = [
    ("find_user_id_by_email", {"email": "nobody@example.com"}, "User not found"),
    ("find_user_id_by_name_zip", {"first_name": "Ann", "last_name": "Lee", "zip": "10002"}, "User not found"),
    ("get_user_details", {"user_id": "nobody_0"}, "User not found"),
    ("get_order_details", {"order_id": "W1"}, "Order not found"),
    ("get_product_details", {"product_id": "1001"}, "Product not found"),
    ("get_item_details", {"item_id": "P1"}, "Item not found"),
    ("calculate", {"expression": "2 + a"}, "Invalid characters in expression"),
    ("calculate", {"expression": "2 ** 3"}, "Invalid expression"),
    ("calculate", {"expression": "(1 + 2"}, "Invalid expression"),
    ("calculate", {"expression": "1 / 0"}, "Division by zero"),
    ("cancel_pending_order", {"order_id": "#W99", "reason": "no longer needed"}, "Order not found"),
    (
        "cancel_pending_order",
        {"order_id": "#W4", "reason": "no longer needed"},
        "Non-pending order cannot be cancelled",
    ),
    (
        "cancel_pending_order",
        {"order_id": "#W5", "reason": "no longer needed"},
        "Non-pending order cannot be cancelled",
    ),
    ("cancel_pending_order", {"order_id": "#W1", "reason": "changed my mind"}, "Invalid reason"),
    ("modify_pending_order_address", {"order_id": "#W99", **NEW_ADDRESS}, "Order not found"),
    (
        "modify_pending_order_address",
        {"order_id": "#W3", **NEW_ADDRESS},
        "Non-pending order cannot be modified",
    ),
    (
        "modify_pending_order_address",
        {"order_id": "#W1", **NEW_ADDRESS, "zip": "1" * 21},
        "Invalid address: Ensure this value has at most 20 characters (it has 21).",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": "#W99", "payment_method_id": "paypal_1"},
        "Order not found",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": "#W3", "payment_method_id": "paypal_1"},
        "Non-pending order cannot be modified",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": "#W1", "payment_method_id": "gift_card_2"},
        "Payment method not found",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": "#W1", "payment_method_id": "paypal_9"},
        "Payment method not found",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": "#W5", "payment_method_id": "paypal_1"},
        "There should be exactly one payment for a pending order",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": "#W7", "payment_method_id": "paypal_1"},
        "There should be exactly one payment for a pending order",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": "#W1", "payment_method_id": "credit_card_1"},
        "The new payment method should be different from the current one",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": "#W1", "payment_method_id": "gift_card_1"},
        "Insufficient gift card balance to pay for the order",
    ),
    *[
        ("modify_pending_order_items", {"payment_method_id": "credit_card_1", **arguments}, message)
        for arguments, message in [
            ({"order_id": "#W99", "item_ids": ["1001"], "new_item_ids": ["1002"]}, "Order not found"),
            (
                {"order_id": "#W5", "item_ids": ["1002"], "new_item_ids": ["1001"]},
                "Non-pending order cannot be modified",
            ),
            (
                {"order_id": "#W3", "item_ids": ["1001"], "new_item_ids": ["1002"]},
                "Non-pending order cannot be modified",
            ),
            ({"order_id": "#W1", "item_ids": ["1002"], "new_item_ids": ["1001"]}, "1002 not found"),
            ({"order_id": "#W1", "item_ids": ["1001"] * 3, "new_item_ids": ["1002"] * 3}, "1001 not found"),
            (
                {"order_id": "#W1", "item_ids": ["1001"], "new_item_ids": ["1002", "1004"]},
                "The number of items to be exchanged should match",
            ),
            (
                {"order_id": "#W1", "item_ids": ["1001"], "new_item_ids": ["1001"]},
                "The new item id should be different from the old item id",
            ),
            (
                {"order_id": "#W1", "item_ids": ["1001"], "new_item_ids": ["2002"]},
                "New item 2002 not found or available",
            ),
            (
                {"order_id": "#W1", "item_ids": ["1001"], "new_item_ids": ["1003"]},
                "New item 1003 not found or available",
            ),
            (
                {"order_id": "#W1", "item_ids": ["1001"], "new_item_ids": ["9999"]},
                "New item 9999 not found or available",
            ),
        ]
    ],
    (
        "modify_pending_order_items",
        {"order_id": "#W1", "item_ids": "1001", "new_item_ids": ["1002"], "payment_method_id": "paypal_1"},
        "item_ids should be a list of item ids",
    ),
    (
        "exchange_delivered_order_items",
        {"order_id": "#W3", "item_ids": ["1001"], "new_item_ids": [1002], "payment_method_id": "paypal_1"},
        "new_item_ids should be a list of item ids",
    ),
    (
        "return_delivered_order_items",
        {"order_id": "#W3", "item_ids": None, "payment_method_id": "credit_card_1"},
        "item_ids should be a list of item ids",
    ),
    (
        "modify_pending_order_items",
        {
            "order_id": "#W1",
            "item_ids": ["1001"],
            "new_item_ids": ["1002"],
            "payment_method_id": "credit_card_2",
        },
        "Payment method not found",
    ),
    (
        "modify_pending_order_items",
        {
            "order_id": "#W1",
            "item_ids": ["1001", "1001"],
            "new_item_ids": ["1004", "1004"],
            "payment_method_id": "gift_card_1",
        },
        "Insufficient gift card balance to pay for the new item",
    ),
    (
        "return_delivered_order_items",
        {"order_id": "#W99", "item_ids": ["1001"], "payment_method_id": "credit_card_1"},
        "Order not found",
    ),
    (
        "return_delivered_order_items",
        {"order_id": "#W1", "item_ids": ["1001"], "payment_method_id": "credit_card_1"},
        "Non-delivered order cannot be returned",
    ),
    (
        "return_delivered_order_items",
        {"order_id": "#W3", "item_ids": ["1001"], "payment_method_id": "gift_card_2"},
        "Payment method not found",
    ),
    (
        "return_delivered_order_items",
        {"order_id": "#W3", "item_ids": ["1001"], "payment_method_id": "paypal_1"},
        "Payment method should be the original payment method",
    ),
    (
        "return_delivered_order_items",
        {"order_id": "#W3", "item_ids": ["1002"], "payment_method_id": "credit_card_1"},
        "Some item not found",
    ),
    (
        "return_delivered_order_items",
        {"order_id": "#W3", "item_ids": ["1001", "1001"], "payment_method_id": "credit_card_1"},
        "Some item not found",
    ),
    *[
        ("exchange_delivered_order_items", {"payment_method_id": "credit_card_1", **arguments}, message)
        for arguments, message in [
            ({"order_id": "#W99", "item_ids": ["1001"], "new_item_ids": ["1002"]}, "Order not found"),
            (
                {"order_id": "#W1", "item_ids": ["1001"], "new_item_ids": ["1002"]},
                "Non-delivered order cannot be exchanged",
            ),
            ({"order_id": "#W3", "item_ids": ["1002"], "new_item_ids": ["1001"]}, "1002 not found"),
            ({"order_id": "#W3", "item_ids": ["1001"] * 2, "new_item_ids": ["1002"] * 2}, "1001 not found"),
            (
                {"order_id": "#W3", "item_ids": ["1001"], "new_item_ids": []},
                "The number of items to be exchanged should match",
            ),
            (
                {"order_id": "#W3", "item_ids": ["2001"], "new_item_ids": ["2001"]},
                "The new item id should be different from the old item id",
            ),
            (
                {"order_id": "#W3", "item_ids": ["2001"], "new_item_ids": ["1002"]},
                "New item 1002 not found or available",
            ),
            (
                {"order_id": "#W3", "item_ids": ["1001"], "new_item_ids": ["1003"]},
                "New item 1003 not found or available",
            ),
        ]
    ],
    (
        "exchange_delivered_order_items",
        {"order_id": "#W3", "item_ids": ["1001"], "new_item_ids": ["1002"], "payment_method_id": "paypal_9"},
        "Payment method not found",
    ),
    (
        "exchange_delivered_order_items",
        {
            "order_id": "#W3",
            "item_ids": ["1001"],
            "new_item_ids": ["1004"],
            "payment_method_id": "gift_card_1",
        },
        "Insufficient gift card balance to pay for the price difference",
    ),
    ("modify_user_address", {"user_id": "nobody_0", **NEW_ADDRESS}, "User not found"),
]


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    REFUSALS,
    ids=[f"{name}-{message}-{index}" for index, (name, _, message) in enumerate(REFUSALS)],
)
def test_tool__rule_broken__refused_with_exact_text_and_nothing_changed(
    small_marketplace, name, arguments, message
):
    # given the small marketplace
    before = marketplace_export()

    # when a tool is called in breach of one rule
    with pytest.raises(ToolError) as raised:
        TOOLS[name].function(**arguments)

    # then it says exactly which, and orders, items, payments and balances are untouched
    assert raised.value.message == message
    assert raised.value.code == "tool_rule"
    assert marketplace_export() == before


# ------------------------------------------------------------------ read tools


def test_find_user_id_by_email__other_case__found(small_marketplace):
    assert find_user_id_by_email(email="ann.lee@EXAMPLE.com") == "ann_lee_1"


def test_find_user_id_by_name_zip__names_in_other_case__found(small_marketplace):
    assert find_user_id_by_name_zip(first_name="ANN", last_name="lee", zip="10001") == "ann_lee_1"


def test_get_user_details__known_user__the_user_object(small_marketplace):
    assert get_user_details(user_id="ann_lee_1") == small_marketplace["users"]["ann_lee_1"]


def test_get_order_details__known_order__the_order_object(small_marketplace):
    assert get_order_details(order_id="#W8") == small_marketplace["orders"]["#W8"]
    assert get_order_details(order_id="#W1") == small_marketplace["orders"]["#W1"]


def test_get_product_details__known_product__with_all_variants(small_marketplace):
    assert get_product_details(product_id="P1") == small_marketplace["products"]["P1"]


def test_get_item_details__known_item__the_variant(small_marketplace):
    assert get_item_details(item_id="2002") == {
        "item_id": "2002",
        "options": {"capacity": "500ml"},
        "available": True,
        "price": 7.25,
    }


def test_list_all_product_types__sorted_by_name(small_marketplace):
    types = list_all_product_types()
    assert types == {"Mug": "P2", "T-Shirt": "P1"}
    assert list(types) == ["Mug", "T-Shirt"]


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ("(2 + 3) * 4.5", "22.5"),
        ("1 + 2", "3.0"),
        ("10 / 3", "3.33"),
        ("-(4 - 10.5)", "6.5"),
        ("0.1 + 0.2", "0.3"),
    ],
)
def test_calculate__arithmetic__rounded_to_two_places_as_text(expression, result):
    assert calculate(expression=expression) == result


# ----------------------------------------------------------------- write tools


def test_cancel_pending_order__paid_by_gift_card__refunded_at_once(small_marketplace):
    # given #W2, pending and paid 12.50 by gift card (balance 20.00)
    # when it is cancelled
    result = cancel_pending_order(order_id="#W2", reason="ordered by mistake")

    # then it is cancelled with the reason, refunded to the same card, and the card's balance went up
    expected = {
        **small_marketplace["orders"]["#W2"],
        "status": "cancelled",
        "cancel_reason": "ordered by mistake",
        "payment_history": [_payment(12.5, "gift_card_1"), _payment(12.5, "gift_card_1", "refund")],
    }
    assert result == expected
    assert get_order_details(order_id="#W2") == expected
    assert _balance("gift_card_1") == Decimal("32.50")


def test_cancel_pending_order__paid_by_credit_card__refund_recorded_balances_untouched(small_marketplace):
    result = cancel_pending_order(order_id="#W1", reason="no longer needed")
    assert result["status"] == "cancelled"
    assert result["cancel_reason"] == "no longer needed"
    assert result["payment_history"] == [
        _payment(25.0, "credit_card_1"),
        _payment(25.0, "credit_card_1", "refund"),
    ]
    assert (_balance("gift_card_1"), _balance("gift_card_2")) == (Decimal("20.00"), Decimal("100.00"))


def test_cancel_pending_order__payment_method_changed_before__refunds_only_what_is_outstanding(
    small_marketplace,
):
    # given #W7: paid 7.25 by card, moved to gift card (payment gift, refund card)
    # when it is cancelled
    result = cancel_pending_order(order_id="#W7", reason="no longer needed")

    # then only the gift card, which still holds the payment, is refunded
    assert result["payment_history"][3:] == [_payment(7.25, "gift_card_1", "refund")]
    assert _balance("gift_card_1") == Decimal("27.25")


def test_modify_pending_order_address__item_modified_order__address_replaced(small_marketplace):
    result = modify_pending_order_address(order_id="#W5", **NEW_ADDRESS)
    assert result == {**small_marketplace["orders"]["#W5"], "address": NEW_ADDRESS_JSON}


def test_modify_pending_order_payment__gift_card_to_credit_card__old_card_refunded(small_marketplace):
    # given #W2 paid 12.50 by gift card
    # when it is moved to the credit card
    result = modify_pending_order_payment(order_id="#W2", payment_method_id="credit_card_1")

    # then the new method pays, the gift card is refunded (balance back up), the order stays pending
    assert result["status"] == "pending"
    assert result["payment_history"] == [
        _payment(12.5, "gift_card_1"),
        _payment(12.5, "credit_card_1"),
        _payment(12.5, "gift_card_1", "refund"),
    ]
    assert _balance("gift_card_1") == Decimal("32.50")


def test_modify_pending_order_payment__to_gift_card__card_charged(small_marketplace):
    # given Ann's gift card holds exactly the 25.00 that #W1 was paid by credit card
    PaymentMethod.objects.filter(pk="gift_card_1").update(balance=Decimal("25.00"))

    # when #W1 is moved to the gift card
    result = modify_pending_order_payment(order_id="#W1", payment_method_id="gift_card_1")

    # then the card pays all of it and the credit card is refunded
    assert result["payment_history"][1:] == [
        _payment(25.0, "gift_card_1"),
        _payment(25.0, "credit_card_1", "refund"),
    ]
    assert _balance("gift_card_1") == Decimal("0.00")


def test_modify_pending_order_items__dearer_items_by_credit_card__payment_and_new_items(small_marketplace):
    # given #W1 with two red shirts (10.00) and a mug
    # when both shirts become blue (12.50) and black (45.00), paid by credit card
    result = modify_pending_order_items(
        order_id="#W1",
        item_ids=["1001", "1001"],
        new_item_ids=["1002", "1004"],
        payment_method_id="credit_card_1",
    )

    # then the items take the new ids, prices and options, the difference is paid, the status says modified
    assert [(item["item_id"], item["price"], item["options"]["color"]) for item in result["items"][:2]] == [
        ("1002", 12.5, "blue"),
        ("1004", 45.0, "black"),
    ]
    assert result["items"][2] == small_marketplace["orders"]["#W1"]["items"][2]
    assert result["payment_history"][1:] == [_payment(37.5, "credit_card_1")]
    assert result["status"] == "pending (item modified)"


def test_modify_pending_order_items__cheaper_item_to_gift_card__refund_raises_balance(small_marketplace):
    result = modify_pending_order_items(
        order_id="#W2", item_ids=["1002"], new_item_ids=["1001"], payment_method_id="gift_card_1"
    )
    assert result["payment_history"][1:] == [_payment(2.5, "gift_card_1", "refund")]
    assert _balance("gift_card_1") == Decimal("22.50")


def test_modify_pending_order_items__gift_card_exactly_covers__balance_zero(small_marketplace):
    PaymentMethod.objects.filter(pk="gift_card_1").update(balance=Decimal("2.50"))
    result = modify_pending_order_items(
        order_id="#W1", item_ids=["1001"], new_item_ids=["1002"], payment_method_id="gift_card_1"
    )
    assert result["payment_history"][1:] == [_payment(2.5, "gift_card_1")]
    assert _balance("gift_card_1") == Decimal("0.00")


def test_modify_pending_order_items__called_twice__second_call_refused(small_marketplace):
    modify_pending_order_items(
        order_id="#W1", item_ids=["2001"], new_item_ids=["2002"], payment_method_id="paypal_1"
    )
    before = marketplace_export()
    with pytest.raises(ToolError) as raised:
        modify_pending_order_items(
            order_id="#W1", item_ids=["1001"], new_item_ids=["1002"], payment_method_id="paypal_1"
        )
    assert raised.value.message == "Non-pending order cannot be modified"
    assert marketplace_export() == before


def test_return_delivered_order_items__original_method__return_requested_items_sorted(small_marketplace):
    result = return_delivered_order_items(
        order_id="#W3", item_ids=["2001", "1001"], payment_method_id="credit_card_1"
    )
    assert result == {
        **small_marketplace["orders"]["#W3"],
        "status": "return requested",
        "return_items": ["1001", "2001"],
        "return_payment_method_id": "credit_card_1",
    }


def test_return_delivered_order_items__own_gift_card__accepted_no_money_moves(small_marketplace):
    result = return_delivered_order_items(order_id="#W3", item_ids=["1001"], payment_method_id="gift_card_1")
    assert (result["status"], result["return_payment_method_id"]) == ("return requested", "gift_card_1")
    assert result["payment_history"] == small_marketplace["orders"]["#W3"]["payment_history"]
    assert _balance("gift_card_1") == Decimal("20.00")


def test_exchange_delivered_order_items__gift_card__exchange_requested_no_money_moves(small_marketplace):
    result = exchange_delivered_order_items(
        order_id="#W3",
        item_ids=["2001", "1001"],
        new_item_ids=["2002", "1002"],
        payment_method_id="gift_card_1",
    )
    assert result == {
        **small_marketplace["orders"]["#W3"],
        "status": "exchange requested",
        "exchange_items": ["1001", "2001"],
        "exchange_new_items": ["1002", "2002"],
        "exchange_payment_method_id": "gift_card_1",
        "exchange_price_difference": 4.75,
    }
    assert _balance("gift_card_1") == Decimal("20.00")


def test_modify_user_address__known_user__default_address_replaced(small_marketplace):
    result = modify_user_address(user_id="bob_ray_2", **NEW_ADDRESS)
    assert result == {**small_marketplace["users"]["bob_ray_2"], "address": NEW_ADDRESS_JSON}
    assert get_user_details(user_id="bob_ray_2")["address"] == NEW_ADDRESS_JSON


def test_transfer_to_human_agents__any_summary__transfer_successful_and_nothing_changed(small_marketplace):
    before = marketplace_export()
    assert transfer_to_human_agents(summary="Customer wants a refund to a new card.") == "Transfer successful"
    assert marketplace_export() == before
