"""Tool calls racing on PostgreSQL: row locks keep one cancellation and gift cards non-negative."""

import copy
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, connections

from aftersales.marketplace.io import marketplace_load
from aftersales.marketplace.tools import (
    ToolError,
    cancel_pending_order,
    modify_pending_order_items,
    modify_pending_order_payment,
)
from aftersales.models import PaymentMethod, PaymentTransaction

from .conftest import MUG_SMALL, build_marketplace_document

THREADS = 24


def _race(calls) -> list[tuple[str, object]]:
    """Run the calls in threads, released together; each thread uses and closes its own connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, object]] = [("not run", None)] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", call())
        except ToolError as error:
            outcomes[index] = ("refused", error.message)
        except Exception as error:  # the assertion shows what went wrong
            outcomes[index] = ("error", repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _require_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancel_pending_order__many_parallel_calls__one_cancellation_one_set_of_refunds():
    _require_postgres()
    # given #W2, pending, paid 12.50 by a gift card holding 20.00
    marketplace_load(path_or_data=build_marketplace_document(), region_codes=[])

    # when 24 agents cancel it at the same moment
    outcomes = _race(
        [lambda: cancel_pending_order(order_id="#W2", reason="no longer needed") for _ in range(THREADS)]
    )

    # then exactly one succeeds, the others see it cancelled, and the card is refunded once
    assert Counter(kind for kind, _ in outcomes) == {"ok": 1, "refused": THREADS - 1}
    assert {detail for kind, detail in outcomes if kind == "refused"} == {
        "Non-pending order cannot be cancelled"
    }
    assert list(
        PaymentTransaction.objects.filter(order_id="#W2")
        .order_by("position")
        .values_list("transaction_type", "amount", "payment_method_id")
    ) == [("payment", Decimal("12.50"), "gift_card_1"), ("refund", Decimal("12.50"), "gift_card_1")]
    assert PaymentMethod.objects.get(pk="gift_card_1").balance == Decimal("32.50")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_gift_card__parallel_payment_and_item_changes__never_negative_and_ledger_balances():
    _require_postgres()
    # given a gift card holding 20.00 and 12 pending orders of 5.00 paid by credit card
    document = build_marketplace_document()
    order_ids = [f"#C{index}" for index in range(12)]
    for order_id in order_ids:
        document["orders"][order_id] = {
            "order_id": order_id,
            "user_id": "ann_lee_1",
            "address": document["users"]["ann_lee_1"]["address"],
            "items": [copy.deepcopy(MUG_SMALL)],
            "status": "pending",
            "fulfillments": [],
            "payment_history": [
                {"transaction_type": "payment", "amount": 5.0, "payment_method_id": "credit_card_1"}
            ],
        }
        document["users"]["ann_lee_1"]["orders"].append(order_id)
    marketplace_load(path_or_data=document, region_codes=[])

    # when half move their payment (5.00) and half upgrade the mug (+2.25) onto that card at once: 43.50 asked
    calls = [
        lambda order_id=order_id: modify_pending_order_payment(
            order_id=order_id, payment_method_id="gift_card_1"
        )
        for order_id in order_ids[:6]
    ] + [
        lambda order_id=order_id: modify_pending_order_items(
            order_id=order_id, item_ids=["2001"], new_item_ids=["2002"], payment_method_id="gift_card_1"
        )
        for order_id in order_ids[6:]
    ]
    outcomes = _race(calls)

    # then nothing failed unexpectedly, the card never went negative, its balance is 20.00 minus what it paid
    assert not [outcome for outcome in outcomes if outcome[0] not in ("ok", "refused")]
    assert {detail for kind, detail in outcomes if kind == "refused"} <= {
        "Insufficient gift card balance to pay for the order",
        "Insufficient gift card balance to pay for the new item",
    }
    charged = sum(
        PaymentTransaction.objects.filter(
            order_id__in=order_ids, payment_method_id="gift_card_1", transaction_type="payment"
        ).values_list("amount", flat=True),
        Decimal("0"),
    )
    balance = PaymentMethod.objects.get(pk="gift_card_1").balance
    assert balance >= 0
    assert balance == Decimal("20.00") - charged
    assert charged > Decimal("15.00")  # the card was used until little was left, not refused wholesale
