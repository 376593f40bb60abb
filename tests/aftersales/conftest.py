"""Shared fixtures of the aftersales tests: a small hand-made marketplace, and the shipped τ²-retail file."""

import copy
import json

import pytest

from aftersales.marketplace.io import SHIPPED_DB_JSON


def _address(street: str, zip_code: str) -> dict:
    return {
        "address1": street,
        "address2": "Suite 1",
        "city": "Springfield",
        "country": "USA",
        "state": "IL",
        "zip": zip_code,
    }


def _item(name: str, product_id: str, item_id: str, price: float, options: dict) -> dict:
    return {"name": name, "product_id": product_id, "item_id": item_id, "price": price, "options": options}


def _pay(amount: float, method_id: str, kind: str = "payment") -> dict:
    return {"transaction_type": kind, "amount": amount, "payment_method_id": method_id}


SHIRT_RED = _item("T-Shirt", "P1", "1001", 10.0, {"color": "red", "size": "M"})
SHIRT_BLUE = _item("T-Shirt", "P1", "1002", 12.5, {"color": "blue", "size": "M"})
MUG_SMALL = _item("Mug", "P2", "2001", 5.0, {"capacity": "300ml"})
MUG_LARGE = _item("Mug", "P2", "2002", 7.25, {"capacity": "500ml"})


def _order(order_id: str, user_id: str, status: str, items: list, history: list, **extra) -> dict:
    fulfillments = [{"tracking_id": ["TRK" + order_id[2:]], "item_ids": [item["item_id"] for item in items]}]
    return {
        "order_id": order_id,
        "user_id": user_id,
        "address": _address("1 Order Street", "10001"),
        "items": items,
        "status": status,
        "fulfillments": fulfillments if status in ("delivered", "processed") else [],
        "payment_history": history,
        **extra,
    }


def build_marketplace_document() -> dict:
    """A small marketplace in the τ²-retail shape, with the file's quirks: keys present only sometimes,
    a customer's order list in another order than the orders object, a payment by a method the
    customer does not hold, an item listed twice in one order, an order its customer does not list (#W8)."""
    return {
        "products": {
            "P1": {
                "name": "T-Shirt",
                "product_id": "P1",
                "variants": {
                    "1001": {
                        "item_id": "1001",
                        "options": {"color": "red", "size": "M"},
                        "available": True,
                        "price": 10.0,
                    },
                    "1002": {
                        "item_id": "1002",
                        "options": {"color": "blue", "size": "M"},
                        "available": True,
                        "price": 12.5,
                    },
                    "1003": {
                        "item_id": "1003",
                        "options": {"color": "green", "size": "M"},
                        "available": False,
                        "price": 9.0,
                    },
                    "1004": {
                        "item_id": "1004",
                        "options": {"color": "black", "size": "L"},
                        "available": True,
                        "price": 45.0,
                    },
                },
            },
            "P2": {
                "name": "Mug",
                "product_id": "P2",
                "variants": {
                    "2001": {
                        "item_id": "2001",
                        "options": {"capacity": "300ml"},
                        "available": True,
                        "price": 5.0,
                    },
                    "2002": {
                        "item_id": "2002",
                        "options": {"capacity": "500ml"},
                        "available": True,
                        "price": 7.25,
                    },
                },
            },
        },
        "users": {
            "ann_lee_1": {
                "user_id": "ann_lee_1",
                "name": {"first_name": "Ann", "last_name": "Lee"},
                "address": _address("1 Elm Street", "10001"),
                "email": "Ann.Lee@example.com",
                "payment_methods": {
                    "credit_card_1": {
                        "source": "credit_card",
                        "id": "credit_card_1",
                        "brand": "visa",
                        "last_four": "1234",
                    },
                    "gift_card_1": {"source": "gift_card", "id": "gift_card_1", "balance": 20.0},
                    "paypal_1": {"source": "paypal", "id": "paypal_1"},
                },
                "orders": ["#W3", "#W1", "#W2", "#W4", "#W5", "#W7"],
            },
            "bob_ray_2": {
                "user_id": "bob_ray_2",
                "name": {"first_name": "Bob", "last_name": "Ray"},
                "address": _address("2 Oak Street", "20002"),
                "email": "bob.ray@example.com",
                "payment_methods": {
                    "gift_card_2": {"source": "gift_card", "id": "gift_card_2", "balance": 100.0},
                    "credit_card_2": {
                        "source": "credit_card",
                        "id": "credit_card_2",
                        "brand": "mastercard",
                        "last_four": "9876",
                    },
                },
                "orders": ["#W6"],
            },
        },
        "orders": {
            "#W1": _order(
                "#W1",
                "ann_lee_1",
                "pending",
                [SHIRT_RED, SHIRT_RED, MUG_SMALL],
                [_pay(25.0, "credit_card_1")],
            ),
            "#W2": _order("#W2", "ann_lee_1", "pending", [SHIRT_BLUE], [_pay(12.5, "gift_card_1")]),
            "#W3": _order(
                "#W3", "ann_lee_1", "delivered", [SHIRT_RED, MUG_SMALL], [_pay(15.0, "credit_card_1")]
            ),
            "#W4": _order("#W4", "ann_lee_1", "processed", [MUG_LARGE], [_pay(7.25, "paypal_old")]),
            "#W5": _order(
                "#W5",
                "ann_lee_1",
                "pending (item modified)",
                [SHIRT_BLUE],
                [_pay(10.0, "credit_card_1"), _pay(2.5, "credit_card_1")],
            ),
            "#W6": _order("#W6", "bob_ray_2", "pending", [MUG_SMALL], [_pay(5.0, "gift_card_2")]),
            "#W7": _order(
                "#W7",
                "ann_lee_1",
                "pending",
                [MUG_LARGE],
                [
                    _pay(7.25, "credit_card_1"),
                    _pay(7.25, "gift_card_1"),
                    _pay(7.25, "credit_card_1", "refund"),
                ],
            ),
            "#W8": _order(
                "#W8",
                "bob_ray_2",
                "cancelled",
                [MUG_LARGE],
                [_pay(7.25, "credit_card_2"), _pay(7.25, "credit_card_2", "refund")],
                cancel_reason="ordered by mistake",
            ),
        },
    }


@pytest.fixture
def marketplace_document() -> dict:
    return build_marketplace_document()


@pytest.fixture
def small_marketplace(db, marketplace_document) -> dict:
    """The small marketplace loaded (no regions); returns the document it was loaded from."""
    from aftersales.marketplace.io import marketplace_load

    marketplace_load(path_or_data=copy.deepcopy(marketplace_document), region_codes=[])
    return marketplace_document


@pytest.fixture(scope="session")
def shipped_document() -> dict:
    """The shipped db.json, parsed once per session."""
    return json.loads(SHIPPED_DB_JSON.read_text(encoding="utf-8"))
