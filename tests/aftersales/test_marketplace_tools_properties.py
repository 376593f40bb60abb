"""Random sequences of tool calls keep the marketplace's money and status invariants."""

import copy
from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.marketplace.io import marketplace_export, marketplace_load
from aftersales.marketplace.tools import TOOLS, ToolError
from aftersales.marketplace.tools.writes import CANCEL_REASONS

from .conftest import build_marketplace_document

ORDER_IDS = ["#W1", "#W2", "#W3", "#W4", "#W5", "#W6", "#W7", "#W8", "#W99"]
ITEM_IDS = ["1001", "1002", "1003", "1004", "2001", "2002"]
METHOD_IDS = ["credit_card_1", "gift_card_1", "paypal_1", "gift_card_2", "credit_card_2", "paypal_old"]
ALLOWED_STATUS_CHANGES = {
    ("pending", "cancelled"),
    ("pending", "pending (item modified)"),
    ("delivered", "return requested"),
    ("delivered", "exchange requested"),
}
ADDRESS = {
    "address1": "9 New Road",
    "address2": "",
    "city": "Austin",
    "state": "TX",
    "country": "USA",
    "zip": "1",
}

orders = st.sampled_from(ORDER_IDS)
methods = st.sampled_from(METHOD_IDS)
item_lists = st.lists(st.sampled_from(ITEM_IDS), min_size=1, max_size=3)


def _call(name: str, **arguments):
    return st.fixed_dictionaries(arguments).map(lambda drawn: (name, drawn))


@st.composite
def _swap_call(draw, name: str):
    old = draw(item_lists)
    # Mostly lists of the same length, sometimes not (a rule of its own).
    new = draw(st.lists(st.sampled_from(ITEM_IDS), min_size=len(old), max_size=len(old)) | item_lists)
    arguments = {
        "order_id": draw(orders),
        "item_ids": old,
        "new_item_ids": new,
        "payment_method_id": draw(methods),
    }
    return name, arguments


calls = st.one_of(
    _call("cancel_pending_order", order_id=orders, reason=st.sampled_from([*CANCEL_REASONS, "too slow"])),
    _call("modify_pending_order_payment", order_id=orders, payment_method_id=methods),
    _swap_call("modify_pending_order_items"),
    _call("return_delivered_order_items", order_id=orders, item_ids=item_lists, payment_method_id=methods),
    _swap_call("exchange_delivered_order_items"),
    _call(
        "modify_pending_order_address",
        order_id=orders,
        **{key: st.just(value) for key, value in ADDRESS.items()},
    ),
)


def _gift_card_ledger(state: dict) -> dict[str, Decimal]:
    """Per gift card: balance + what it paid - what it got back. Money only moves between the card and
    orders, so this stays what it was at the start."""
    ledger: dict[str, Decimal] = defaultdict(Decimal)
    for user in state["users"].values():
        for method in user["payment_methods"].values():
            if method["source"] == "gift_card":
                ledger[method["id"]] += Decimal(repr(method["balance"]))
    for order in state["orders"].values():
        for entry in order["payment_history"]:
            if entry["payment_method_id"] in ledger:
                sign = 1 if entry["transaction_type"] == "payment" else -1
                ledger[entry["payment_method_id"]] += sign * Decimal(repr(entry["amount"]))
    return dict(ledger)


def _check_invariants(before: dict, after: dict) -> None:
    for user in after["users"].values():
        for method in user["payment_methods"].values():
            assert method.get("balance", 0) >= 0, method
    for order_id, order in after["orders"].items():
        paid = sum(
            Decimal(repr(e["amount"])) for e in order["payment_history"] if e["transaction_type"] == "payment"
        )
        refunded = sum(
            Decimal(repr(e["amount"])) for e in order["payment_history"] if e["transaction_type"] == "refund"
        )
        # A modification that makes an order cheaper refunds the difference; the order never refunds more
        # than it was paid.
        assert refunded <= paid, order_id
        change = (before["orders"][order_id]["status"], order["status"])
        assert change[0] == change[1] or change in ALLOWED_STATUS_CHANGES, (order_id, change)
    assert _gift_card_ledger(after) == _gift_card_ledger(before)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(calls, min_size=1, max_size=12))
def test_tools__random_call_sequences__keep_money_and_status_invariants(db, sequence):
    # given a fresh small marketplace for every example
    marketplace_load(path_or_data=copy.deepcopy(build_marketplace_document()), region_codes=[])
    state = marketplace_export()

    for name, arguments in sequence:
        # when any tool is called with any of the marketplace's ids
        try:
            TOOLS[name].function(**copy.deepcopy(arguments))
            refused = False
        except ToolError:
            refused = True
        after = marketplace_export()

        # then a refused call changed nothing, and every call kept the invariants
        if refused:
            assert after == state
        _check_invariants(state, after)
        state = after
