"""The write tools of the τ²-retail contract.

Each runs in one transaction: it locks the order row first (``select_for_update``), then the payment
method rows whose balance it reads or moves, in primary-key order so two writers never wait on each other
in a cycle; it checks every rule of the contract before the first write, so a refused call changes
nothing. Order items and payment history are guarded by the order's lock (every writer takes it first).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from aftersales.marketplace.io import ADDRESS_KEYS, customer_as_json, money, order_as_json
from aftersales.models import (
    Customer,
    Order,
    OrderItem,
    OrderStatus,
    PaymentMethod,
    PaymentTransaction,
    TransactionType,
    Variant,
)
from config.errors import InvalidTransition

from .errors import ToolError
from .reads import ORDER_NOT_FOUND, USER_NOT_FOUND

CANCEL_REASONS = ("no longer needed", "ordered by mistake")
NON_PENDING_MODIFY = "Non-pending order cannot be modified"
PAYMENT_METHOD_NOT_FOUND = "Payment method not found"


# ------------------------------------------------------------------ helpers


def _locked_order(order_id: str) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise ToolError(ORDER_NOT_FOUND)
    return order


def _locked_methods(method_ids: Iterable[str | None]) -> dict[str, PaymentMethod]:
    ids = sorted({method_id for method_id in method_ids if method_id is not None})
    return {
        method.id: method
        for method in PaymentMethod.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }


def _own_method(order: Order, methods: dict[str, PaymentMethod], method_id: str) -> PaymentMethod:
    method = methods.get(method_id)
    if method is None or method.customer_id != order.customer_id:
        raise ToolError(PAYMENT_METHOD_NOT_FOUND)
    return method


def _history(order: Order) -> list[PaymentTransaction]:
    return list(order.payment_history.order_by("position"))


def _append_transactions(order: Order, history: Sequence[PaymentTransaction], entries) -> None:
    PaymentTransaction.objects.bulk_create(
        PaymentTransaction(
            order=order,
            position=len(history) + offset,
            transaction_type=transaction_type,
            amount=money(amount),
            payment_method_id=method_id,
        )
        for offset, (transaction_type, amount, method_id) in enumerate(entries)
    )


def _move_gift_card_balance(method: PaymentMethod | None, delta: Decimal) -> None:
    """Gift cards are settled at once; other methods are settled outside the marketplace."""
    if method is None or not method.is_gift_card:
        return
    method.balance = money(method.balance + delta)
    method.save(update_fields=["balance"])


def _set_status(order: Order, source: str, target: str, **fields: Any) -> None:
    # Guarded even under the row lock: the status only moves along the edges the tools define.
    if not Order.objects.filter(pk=order.pk, status=source).update(status=target, **fields):
        raise InvalidTransition(f"Order {order.pk} is no longer {source}.")
    order.status = target
    for name, value in fields.items():
        setattr(order, name, value)


def _replace_address(row: Order | Customer, **address: str) -> None:
    for name, value in address.items():
        setattr(row, name, value)
    try:
        row.clean_fields(exclude=[field.name for field in row._meta.fields if field.name not in ADDRESS_KEYS])
    except ValidationError as error:
        raise ToolError(f"Invalid address: {'; '.join(error.messages)}") from error
    row.save(update_fields=list(address))


def _require_id_list(value: Any, name: str) -> None:
    # A bare string would otherwise be read as a list of one-character ids.
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise ToolError(f"{name} should be a list of item ids")


def _item_changes(
    items: Sequence[OrderItem], item_ids: Sequence[str], new_item_ids: Sequence[str]
) -> list[tuple[OrderItem, Variant]]:
    """Pair each listed order item with its new variant, enforcing the contract's item rules."""
    _require_id_list(item_ids, "item_ids")
    _require_id_list(new_item_ids, "new_item_ids")
    held = Counter(item.item_id for item in items)
    for item_id, wanted in Counter(item_ids).items():
        if wanted > held[item_id]:
            raise ToolError(f"{item_id} not found")
    if len(item_ids) != len(new_item_ids):
        raise ToolError("The number of items to be exchanged should match")
    variants = Variant.objects.in_bulk(list(new_item_ids))
    unpaired = list(items)
    changes = []
    for item_id, new_item_id in zip(item_ids, new_item_ids, strict=True):
        if item_id == new_item_id:
            raise ToolError("The new item id should be different from the old item id")
        # Listing one id twice changes two order items holding it, first one first.
        item = next(item for item in unpaired if item.item_id == item_id)
        unpaired.remove(item)
        variant = variants.get(new_item_id)
        if variant is None or variant.product_id != item.product_id or not variant.available:
            raise ToolError(f"New item {new_item_id} not found or available")
        changes.append((item, variant))
    return changes


def _checked_item_changes(
    order: Order, item_ids: Any, new_item_ids: Any, payment_method_id: str, insufficient: str
) -> tuple[list[tuple[OrderItem, Variant]], Decimal, PaymentMethod]:
    """The item swaps, their price difference and the (locked) method paying it, every rule checked."""
    changes = _item_changes(list(order.items.order_by("position")), item_ids, new_item_ids)
    difference = money(sum((variant.price - item.price for item, variant in changes), Decimal("0")))
    method = _own_method(order, _locked_methods([payment_method_id]), payment_method_id)
    if method.is_gift_card and method.balance < difference:
        raise ToolError(insufficient)
    return changes, difference, method


# -------------------------------------------------------------------- tools


@transaction.atomic
def cancel_pending_order(*, order_id: str, reason: str) -> dict[str, Any]:
    """Cancel a pending order and refund what was paid, per method.

    The refund per method is what it paid minus what it was already refunded, so an order whose payment
    method was changed (payment old, payment new, refund old) gets one refund to the new method, not a
    second one to the old. For a single payment this is the contract's "refund of the same amount to the
    same method"."""
    order = _locked_order(order_id)
    if order.status != OrderStatus.PENDING:
        raise ToolError("Non-pending order cannot be cancelled")
    if reason not in CANCEL_REASONS:
        raise ToolError("Invalid reason")
    history = _history(order)
    outstanding: dict[str, Decimal] = {}
    for entry in history:
        sign = 1 if entry.transaction_type == TransactionType.PAYMENT else -1
        outstanding[entry.payment_method_id] = (
            outstanding.get(entry.payment_method_id, Decimal("0")) + sign * entry.amount
        )
    refunds = [(method_id, amount) for method_id, amount in outstanding.items() if amount > 0]
    methods = _locked_methods(method_id for method_id, _ in refunds)

    _set_status(order, OrderStatus.PENDING, OrderStatus.CANCELLED, cancel_reason=reason)
    _append_transactions(
        order, history, [(TransactionType.REFUND, amount, method_id) for method_id, amount in refunds]
    )
    for method_id, amount in refunds:
        _move_gift_card_balance(methods.get(method_id), amount)
    return order_as_json(order)


@transaction.atomic
def modify_pending_order_address(
    *,
    order_id: str,
    address1: str,
    address2: str,
    city: str,
    state: str,
    country: str,
    zip: str,
) -> dict[str, Any]:
    order = _locked_order(order_id)
    if "pending" not in order.status:
        raise ToolError(NON_PENDING_MODIFY)
    _replace_address(
        order, address1=address1, address2=address2, city=city, state=state, country=country, zip=zip
    )
    return order_as_json(order)


@transaction.atomic
def modify_pending_order_payment(*, order_id: str, payment_method_id: str) -> dict[str, Any]:
    order = _locked_order(order_id)
    if "pending" not in order.status:
        raise ToolError(NON_PENDING_MODIFY)
    history = _history(order)
    old_method_id = history[0].payment_method_id if history else None
    methods = _locked_methods([payment_method_id, old_method_id])
    method = _own_method(order, methods, payment_method_id)
    if len(history) != 1 or history[0].transaction_type != TransactionType.PAYMENT:
        raise ToolError("There should be exactly one payment for a pending order")
    if old_method_id == payment_method_id:
        raise ToolError("The new payment method should be different from the current one")
    amount = history[0].amount
    if method.is_gift_card and method.balance < amount:
        raise ToolError("Insufficient gift card balance to pay for the order")

    _append_transactions(
        order,
        history,
        [
            (TransactionType.PAYMENT, amount, payment_method_id),
            (TransactionType.REFUND, amount, old_method_id),
        ],
    )
    _move_gift_card_balance(method, -amount)
    _move_gift_card_balance(methods.get(old_method_id), amount)
    return order_as_json(order)


@transaction.atomic
def modify_pending_order_items(
    *, order_id: str, item_ids: list[str], new_item_ids: list[str], payment_method_id: str
) -> dict[str, Any]:
    order = _locked_order(order_id)
    if order.status != OrderStatus.PENDING:
        raise ToolError(NON_PENDING_MODIFY)
    changes, difference, method = _checked_item_changes(
        order,
        item_ids,
        new_item_ids,
        payment_method_id,
        "Insufficient gift card balance to pay for the new item",
    )

    transaction_type = TransactionType.PAYMENT if difference > 0 else TransactionType.REFUND
    _append_transactions(order, _history(order), [(transaction_type, abs(difference), payment_method_id)])
    _move_gift_card_balance(method, -difference)
    for item, variant in changes:
        item.item_id, item.price, item.options = variant.item_id, variant.price, variant.options
    OrderItem.objects.bulk_update([item for item, _ in changes], ["item_id", "price", "options"])
    _set_status(order, OrderStatus.PENDING, OrderStatus.PENDING_ITEM_MODIFIED)
    return order_as_json(order)


@transaction.atomic
def return_delivered_order_items(
    *, order_id: str, item_ids: list[str], payment_method_id: str
) -> dict[str, Any]:
    order = _locked_order(order_id)
    if order.status != OrderStatus.DELIVERED:
        raise ToolError("Non-delivered order cannot be returned")
    history = _history(order)
    method = _own_method(order, _locked_methods([payment_method_id]), payment_method_id)
    original_method_id = history[0].payment_method_id if history else None
    if not method.is_gift_card and payment_method_id != original_method_id:
        raise ToolError("Payment method should be the original payment method")
    _require_id_list(item_ids, "item_ids")
    held = Counter(order.items.values_list("item_id", flat=True))
    if any(wanted > held[item_id] for item_id, wanted in Counter(item_ids).items()):
        raise ToolError("Some item not found")

    _set_status(
        order,
        OrderStatus.DELIVERED,
        OrderStatus.RETURN_REQUESTED,
        return_items=sorted(item_ids),
        return_payment_method_id=payment_method_id,
    )
    return order_as_json(order)


@transaction.atomic
def exchange_delivered_order_items(
    *, order_id: str, item_ids: list[str], new_item_ids: list[str], payment_method_id: str
) -> dict[str, Any]:
    """Request an exchange; no money moves until the returned items arrive (outside the tools)."""
    order = _locked_order(order_id)
    if order.status != OrderStatus.DELIVERED:
        raise ToolError("Non-delivered order cannot be exchanged")
    _, difference, _ = _checked_item_changes(
        order,
        item_ids,
        new_item_ids,
        payment_method_id,
        "Insufficient gift card balance to pay for the price difference",
    )

    _set_status(
        order,
        OrderStatus.DELIVERED,
        OrderStatus.EXCHANGE_REQUESTED,
        exchange_items=sorted(item_ids),
        exchange_new_items=sorted(new_item_ids),
        exchange_payment_method_id=payment_method_id,
        exchange_price_difference=difference,
    )
    return order_as_json(order)


@transaction.atomic
def modify_user_address(
    *,
    user_id: str,
    address1: str,
    address2: str,
    city: str,
    state: str,
    country: str,
    zip: str,
) -> dict[str, Any]:
    customer = Customer.objects.select_for_update().filter(pk=user_id).first()
    if customer is None:
        raise ToolError(USER_NOT_FOUND)
    _replace_address(
        customer, address1=address1, address2=address2, city=city, state=state, country=country, zip=zip
    )
    return customer_as_json(customer)


def transfer_to_human_agents(*, summary: str) -> str:
    """Hand the conversation to a person. The marketplace records nothing; the runtime ends the bot's part."""
    return "Transfer successful"
