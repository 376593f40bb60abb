"""The tool registry: what the scenario runtime's gateway and the LLM tool definitions are built from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from . import reads, writes

ToolKind = Literal["read", "write", "handoff"]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    kind: ToolKind
    description: str
    parameters: dict[str, Any]  # JSON schema of the keyword arguments
    function: Callable[..., Any]


def _text(description: str) -> dict[str, str]:
    return {"type": "string", "description": description}


def _ids(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "minItems": 1, "description": description}


def _schema(**properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


ORDER_ID = _text('The order id with its leading "#", e.g. "#W0000000".')
USER_ID = _text("The user id, e.g. sara_doe_496.")
PAYMENT_METHOD_ID = _text("A payment method id of the order's customer, e.g. gift_card_0000000.")
ADDRESS = {
    "address1": _text("First address line."),
    "address2": _text("Second address line (may be empty)."),
    "city": _text("City."),
    "state": _text("State or province code."),
    "country": _text("Country."),
    "zip": _text("Zip or postal code."),
}

_SPECS = [
    ToolSpec(
        "find_user_id_by_email",
        "read",
        "Find a user id by email (case-insensitive).",
        _schema(email=_text("The user's email.")),
        reads.find_user_id_by_email,
    ),
    ToolSpec(
        "find_user_id_by_name_zip",
        "read",
        "Find a user id by first name, last name (case-insensitive) and zip code.",
        _schema(
            first_name=_text("First name."),
            last_name=_text("Last name."),
            zip=_text("Zip code of the address."),
        ),
        reads.find_user_id_by_name_zip,
    ),
    ToolSpec(
        "get_user_details",
        "read",
        "Get a user's profile: name, address, email, payment methods and order ids.",
        _schema(user_id=USER_ID),
        reads.get_user_details,
    ),
    ToolSpec(
        "get_order_details",
        "read",
        "Get an order: status, address, items, fulfilments and payment history.",
        _schema(order_id=ORDER_ID),
        reads.get_order_details,
    ),
    ToolSpec(
        "get_product_details",
        "read",
        "Get a product type with all its variants (item ids, options, availability, price).",
        _schema(product_id=_text("The product id (not an item id).")),
        reads.get_product_details,
    ),
    ToolSpec(
        "get_item_details",
        "read",
        "Get one variant by item id: options, availability and price.",
        _schema(item_id=_text("The item id of the variant.")),
        reads.get_item_details,
    ),
    ToolSpec(
        "list_all_product_types",
        "read",
        "List every product type as {name: product_id}, sorted by name.",
        _schema(),
        reads.list_all_product_types,
    ),
    ToolSpec(
        "calculate",
        "read",
        "Evaluate arithmetic (digits, + - * / ( ) . and spaces); the result rounded to 2 places.",
        _schema(expression=_text("E.g. (2 + 3) * 4.5")),
        reads.calculate,
    ),
    ToolSpec(
        "cancel_pending_order",
        "write",
        "Cancel a pending order and refund its payments (gift cards at once, others in 5-7 business days).",
        _schema(
            order_id=ORDER_ID,
            reason={"type": "string", "enum": ["no longer needed", "ordered by mistake"]},
        ),
        writes.cancel_pending_order,
    ),
    ToolSpec(
        "modify_pending_order_address",
        "write",
        "Replace the shipping address of a pending order.",
        _schema(order_id=ORDER_ID, **ADDRESS),
        writes.modify_pending_order_address,
    ),
    ToolSpec(
        "modify_pending_order_payment",
        "write",
        "Pay a pending order with another of the user's payment methods; the old one is refunded.",
        _schema(order_id=ORDER_ID, payment_method_id=PAYMENT_METHOD_ID),
        writes.modify_pending_order_payment,
    ),
    ToolSpec(
        "modify_pending_order_items",
        "write",
        "Swap items of a pending order for other available variants of the same products (once per order); "
        "the price difference is paid or refunded with the given payment method.",
        _schema(
            order_id=ORDER_ID,
            item_ids=_ids("Item ids to change; list an id twice to change two of them."),
            new_item_ids=_ids("The new item ids, in the same order."),
            payment_method_id=PAYMENT_METHOD_ID,
        ),
        writes.modify_pending_order_items,
    ),
    ToolSpec(
        "return_delivered_order_items",
        "write",
        "Request the return of items of a delivered order, refunded to the original method or a gift card.",
        _schema(
            order_id=ORDER_ID,
            item_ids=_ids("Item ids to return."),
            payment_method_id=PAYMENT_METHOD_ID,
        ),
        writes.return_delivered_order_items,
    ),
    ToolSpec(
        "exchange_delivered_order_items",
        "write",
        "Request an exchange of delivered items for other available variants of the same products.",
        _schema(
            order_id=ORDER_ID,
            item_ids=_ids("Item ids to exchange."),
            new_item_ids=_ids("The new item ids, in the same order."),
            payment_method_id=PAYMENT_METHOD_ID,
        ),
        writes.exchange_delivered_order_items,
    ),
    ToolSpec(
        "modify_user_address",
        "write",
        "Replace a user's default address.",
        _schema(user_id=USER_ID, **ADDRESS),
        writes.modify_user_address,
    ),
    ToolSpec(
        "transfer_to_human_agents",
        "handoff",
        "Hand the conversation to a human agent, with a summary of the user's issue.",
        _schema(summary=_text("A summary of the user's issue.")),
        writes.transfer_to_human_agents,
    ),
]

TOOLS: dict[str, ToolSpec] = {spec.name: spec for spec in _SPECS}
