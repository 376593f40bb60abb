"""The gateway under concurrent callers on PostgreSQL: one key executes once, one order is cancelled
once, a gift card never goes negative. Each thread has its own connection, closed at its end."""

import copy
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, connections

from aftersales.marketplace.io import marketplace_load
from aftersales.models import Order, PaymentMethod, PaymentTransaction
from scenarios.models import ToolCall
from scenarios.services.gateway import gateway_call
from tests.aftersales.conftest import build_marketplace_document

pytest.register_assert_rewrite("tests.scenarios.gateway_fixtures")
pytest_plugins = ["tests.scenarios.gateway_fixtures"]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50
ANN = "ann_lee_1"


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL")


def _race(calls) -> list:
    """Run the calls in threads released together; each returns a GatewayResult or the error's repr."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=20)
            outcomes[index] = call()
        except Exception as error:  # the assertion shows what went wrong
            outcomes[index] = repr(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _cancel(conversation, order_id, key):
    return lambda: gateway_call(
        conversation=conversation,
        name="cancel_pending_order",
        arguments={"order_id": order_id, "reason": "no longer needed"},
        confirmed=True,
        idempotency_key=key,
    )


def test_gateway_call__fifty_identical_calls_with_one_key__execute_once_same_response(world):
    # given one conversation verified as Ann, whose #W1 is pending and paid 25.00 by card
    conversation = world(ANN)

    # when 50 retries of one cancellation arrive at the same moment
    outcomes = _race([_cancel(conversation, "#W1", "k-1") for _ in range(THREADS)])

    # then one execution, and every caller gets its response
    assert {(o.status, o.result["status"], o.tool_call.pk) for o in outcomes} == {
        ("executed", "cancelled", ToolCall.objects.get().pk)
    }
    assert Counter(o.replayed for o in outcomes) == {True: THREADS - 1, False: 1}
    assert list(
        PaymentTransaction.objects.filter(order_id="#W1").values_list("transaction_type", "amount")
    ) == [("payment", Decimal("25.00")), ("refund", Decimal("25.00"))]


def test_gateway_call__fifty_cancellations_of_one_order_with_other_keys__one_executed_rest_denied(world):
    # given 50 conversations of Ann (50 chat windows), #W2 pending and paid 12.50 by a 20.00 gift card
    conversations = [world(ANN) for _ in range(THREADS)]

    # when each cancels #W2 with its own key at the same moment
    outcomes = _race([_cancel(c, "#W2", f"k-{i}") for i, c in enumerate(conversations)])

    # then one cancellation, one refund, and 49 denials with the contract's text
    assert Counter((o.status, o.code, o.message) for o in outcomes) == {
        ("executed", "", ""): 1,
        ("denied", "tool_rule", "Non-pending order cannot be cancelled"): THREADS - 1,
    }
    assert Order.objects.get(pk="#W2").status == "cancelled"
    assert PaymentMethod.objects.get(pk="gift_card_1").balance == Decimal("32.50")
    assert ToolCall.objects.count() == THREADS


def test_gateway_call__concurrent_payments_from_one_gift_card__never_negative(
    regions, published_sops, open_conversation
):
    # given 20 pending orders of Ann paid 7.25 by card each, and her gift card holding 20.00
    document = build_marketplace_document()
    template = document["orders"]["#W7"]
    for number in range(100, 120):
        order = copy.deepcopy(template)
        order["order_id"] = f"#W{number}"
        order["payment_history"] = [
            {"transaction_type": "payment", "amount": 7.25, "payment_method_id": "credit_card_1"}
        ]
        document["orders"][order["order_id"]] = order
        document["users"][ANN]["orders"].append(order["order_id"])
    marketplace_load(path_or_data=document, region_codes=["US"])
    conversations = [open_conversation(ANN) for _ in range(20)]

    # when every order switches its payment to the gift card at the same moment
    outcomes = _race(
        [
            lambda c=c, n=n: gateway_call(
                conversation=c,
                name="modify_pending_order_payment",
                arguments={"order_id": f"#W{n}", "payment_method_id": "gift_card_1"},
                confirmed=True,
                idempotency_key=f"pay-{n}",
            )
            for c, n in zip(conversations, range(100, 120), strict=True)
        ]
    )

    # then the card pays for two orders only and keeps 5.50
    assert Counter((o.status, o.message) for o in outcomes) == {
        ("executed", ""): 2,
        ("denied", "Insufficient gift card balance to pay for the order"): 18,
    }
    assert PaymentMethod.objects.get(pk="gift_card_1").balance == Decimal("5.50")


def test_gateway_call__concurrent_reads_in_one_conversation__each_recorded_with_its_own_number(world):
    # given one conversation (reads take no row lock: they race for the next sequence number)
    conversation = world(ANN)

    # when 20 reads arrive at the same moment
    outcomes = _race(
        [
            lambda: gateway_call(
                conversation=conversation, name="get_order_details", arguments={"order_id": "#W3"}
            )
            for _ in range(20)
        ]
    )

    # then every read is executed and recorded, numbered 1..20 without gaps or duplicates
    assert [o for o in outcomes if isinstance(o, str)] == []
    assert Counter(o.status for o in outcomes) == {"executed": 20}
    assert sorted(conversation.tool_calls.values_list("seq", flat=True)) == list(range(1, 21))
