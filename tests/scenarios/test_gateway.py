"""The tool gateway: validation, every policy-guard rule, execution, verification, hand-off and
idempotency, called the way the flow engine and the agent loop call it."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from aftersales.marketplace.tools import TOOLS, ToolSpec
from aftersales.models import Order, PaymentMethod, PaymentTransaction
from config.errors import Conflict, NotFound, ValidationFailed
from scenarios.models import Conversation, ConversationEvent, ToolCall
from scenarios.services.gateway import gateway_call

pytest.register_assert_rewrite("tests.scenarios.gateway_fixtures")
from tests.scenarios.gateway_fixtures import REASONS, publish_sop  # noqa: E402

pytest_plugins = ["tests.scenarios.gateway_fixtures"]

ANN = "ann_lee_1"
CANCEL_W1 = {"order_id": "#W1", "reason": "no longer needed"}


def _call(conversation, name, arguments, **kwargs):
    return gateway_call(conversation=conversation, name=name, arguments=arguments, **kwargs)


def _denial(result):
    return (result.status, result.code, result.rule, result.message)


def _history(order_id):
    return list(
        PaymentTransaction.objects.filter(order_id=order_id)
        .order_by("position")
        .values_list("transaction_type", "amount", "payment_method_id")
    )


# ------------------------------------------------------------------------ validation


def test_gateway_call__unknown_tool__not_found_and_nothing_recorded(world):
    conversation = world(ANN)

    with pytest.raises(NotFound) as raised:
        _call(conversation, "refund_everything", {})

    assert (raised.value.code, raised.value.message) == ("unknown_tool", "Unknown tool 'refund_everything'.")
    assert ToolCall.objects.count() == 0


def test_gateway_call__arguments_break_the_schema__invalid_arguments_and_nothing_recorded(world):
    conversation = world(ANN)

    with pytest.raises(ValidationFailed) as raised:
        _call(conversation, "get_order_details", {"order_id": 7, "extra": True})

    assert raised.value.code == "invalid_arguments"
    assert raised.value.details == {
        "arguments": [
            {"path": "/", "message": "Additional properties are not allowed ('extra' was unexpected)"},
            {"path": "/order_id", "message": "7 is not of type 'string'"},
        ]
    }
    assert ToolCall.objects.count() == 0


def test_gateway_call__write_without_idempotency_key__refused_and_order_unchanged(world):
    conversation = world(ANN)

    with pytest.raises(ValidationFailed) as raised:
        _call(conversation, "cancel_pending_order", CANCEL_W1, confirmed=True)

    assert raised.value.code == "idempotency_key_required"
    assert Order.objects.get(pk="#W1").status == "pending"
    assert ToolCall.objects.count() == 0


# --------------------------------------------------------------------------- the guard


def test_gateway_call__customer_tool_before_verification__denied_auth_required(world):
    conversation = world()

    result = _call(conversation, "get_order_details", {"order_id": "#W1"})

    assert _denial(result) == (
        "denied",
        "policy_denied",
        "auth.required",
        "Authenticate the customer first: find their user id by email, or by name and zip code.",
    )
    assert result.result is None
    call = ToolCall.objects.get()
    assert (call.seq, call.name, call.status, call.rule, call.source) == (
        1,
        "get_order_details",
        "denied",
        "auth.required",
        "api",
    )


def test_gateway_call__product_read_before_verification__executed(world):
    conversation = world()

    result = _call(conversation, "get_item_details", {"item_id": "2002"}, source="flow")

    assert (result.status, result.code, result.rule) == ("executed", "", "")
    assert result.result == {
        "item_id": "2002",
        "options": {"capacity": "500ml"},
        "available": True,
        "price": 7.25,
    }
    assert ToolCall.objects.get().source == "flow"


def test_gateway_call__find_user_by_email__verifies_the_conversation(world):
    conversation = world()

    result = _call(conversation, "find_user_id_by_email", {"email": "ann.lee@EXAMPLE.com"})

    assert (result.status, result.result) == ("executed", ANN)
    conversation.refresh_from_db()
    assert (conversation.customer_id, conversation.verified_via) == (ANN, "email")
    event = conversation.events.get(kind="customer_verified")
    assert event.data == {"customer_id": ANN, "via": "email", "by": "runtime"}


def test_gateway_call__find_user_by_name_zip__verifies_the_conversation(world):
    conversation = world()

    result = _call(
        conversation, "find_user_id_by_name_zip", {"first_name": "bob", "last_name": "RAY", "zip": "20002"}
    )

    assert (result.status, result.result) == ("executed", "bob_ray_2")
    conversation.refresh_from_db()
    assert (conversation.customer_id, conversation.verified_via) == ("bob_ray_2", "name_zip")


def test_gateway_call__find_user_not_found__denied_with_tool_text_and_not_verified(world):
    conversation = world()

    result = _call(conversation, "find_user_id_by_email", {"email": "nobody@example.com"})

    assert _denial(result) == ("denied", "tool_rule", "find_user_id_by_email", "User not found")
    conversation.refresh_from_db()
    assert (conversation.customer_id, conversation.verified_via) == (None, "")
    assert not conversation.events.filter(kind="customer_verified").exists()


def test_gateway_call__find_another_customer_once_verified__denied_and_customer_kept(world):
    conversation = world()
    _call(conversation, "find_user_id_by_email", {"email": "ann.lee@example.com"})

    result = _call(conversation, "find_user_id_by_email", {"email": "bob.ray@example.com"})

    assert _denial(result) == (
        "denied",
        "policy_denied",
        "auth.own_data_only",
        "This conversation is verified as another customer: one customer per conversation.",
    )
    assert result.result is None
    conversation.refresh_from_db()
    assert (conversation.customer_id, conversation.verified_via) == (ANN, "email")
    assert conversation.events.filter(kind="customer_verified").count() == 1


@pytest.mark.parametrize(
    ("name", "arguments", "named"),
    [
        ("get_order_details", {"order_id": "#W6"}, "order #W6"),
        ("get_user_details", {"user_id": "bob_ray_2"}, "user bob_ray_2"),
        (
            "return_delivered_order_items",
            {"order_id": "#W3", "item_ids": ["1001"], "payment_method_id": "gift_card_2"},
            "payment method gift_card_2",
        ),
    ],
)
def test_gateway_call__another_customers_data__denied_own_data_only(world, name, arguments, named):
    conversation = world(ANN)

    result = _call(conversation, name, arguments, confirmed=True, idempotency_key="k-1")

    assert _denial(result) == (
        "denied",
        "policy_denied",
        "auth.own_data_only",
        f"This conversation may only access the data of its verified customer, not {named}.",
    )
    assert Order.objects.get(pk="#W3").status == "delivered"


def test_gateway_call__write_without_confirmation__denied_and_order_unchanged(world):
    conversation = world(ANN)

    result = _call(conversation, "cancel_pending_order", CANCEL_W1, idempotency_key="k-1")

    assert _denial(result) == (
        "denied",
        "policy_denied",
        "confirm.required",
        "A write needs the customer's explicit confirmation: list the action, get a yes, "
        "and call again with confirmed=true.",
    )
    assert Order.objects.get(pk="#W1").status == "pending"
    assert _history("#W1") == [("payment", Decimal("25.00"), "credit_card_1")]


def test_gateway_call__sop_not_published_in_region__denied_and_order_unchanged(
    us_marketplace, published_sops, regions, api_clients
):
    from scenarios.services.conversations import conversation_open

    conversation = conversation_open(
        actor=api_clients.trusted.client, region=regions["GB"], channel="app", customer_id=ANN
    )

    result = _call(conversation, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="k-1")

    assert _denial(result) == (
        "denied",
        "policy_denied",
        "sop.not_published",
        "The SOP order-cancellation is not published in GB: this action is not available.",
    )
    assert Order.objects.get(pk="#W1").status == "pending"


def test_gateway_call__cancellation_reason_outside_the_regions_list__denied(
    us_marketplace, open_conversation
):
    publish_sop(
        "order-cancellation",
        params=[("cancel_reasons", "list", ["ordered by mistake"], "", {"choices": REASONS})],
    )
    conversation = open_conversation(ANN)

    result = _call(conversation, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="k-1")

    assert _denial(result) == (
        "denied",
        "policy_denied",
        "sop.cancel_reasons",
        "The reason 'no longer needed' is not an allowed cancellation reason in US "
        "(allowed: ordered by mistake).",
    )
    assert Order.objects.get(pk="#W1").status == "pending"


def test_gateway_call__refund_to_gift_card_where_only_original_method_allowed__denied(
    us_marketplace, open_conversation
):
    publish_sop(
        "return-delivered-item",
        params=[
            (
                "refund_destinations",
                "list",
                ["original_payment_method"],
                "",
                {"choices": ["original_payment_method", "gift_card"]},
            )
        ],
    )
    conversation = open_conversation(ANN)

    result = _call(
        conversation,
        "return_delivered_order_items",
        {"order_id": "#W3", "item_ids": ["1001"], "payment_method_id": "gift_card_1"},
        confirmed=True,
        idempotency_key="k-1",
    )

    assert _denial(result) == (
        "denied",
        "policy_denied",
        "sop.refund_destinations",
        "Refunds to the gift card are not allowed in US (allowed: original_payment_method).",
    )
    assert Order.objects.get(pk="#W3").status == "delivered"


@pytest.fixture
def capped_conversation(us_marketplace, open_conversation):
    """Ann's conversation in US, where returns refund automatically up to 12.00."""
    publish_sop("return-delivered-item", params=[("auto_refund_cap", "decimal", "12.00", "USD", {})])
    return open_conversation(ANN)


def test_gateway_call__refund_above_the_auto_refund_cap__denied(capped_conversation):
    conversation = capped_conversation
    both = {"order_id": "#W3", "item_ids": ["1001", "2001"], "payment_method_id": "credit_card_1"}

    result = _call(conversation, "return_delivered_order_items", both, confirmed=True, idempotency_key="k-1")

    assert _denial(result) == (
        "denied",
        "policy_denied",
        "sop.auto_refund_cap",
        "The refund of 15.00 exceeds the automatic refund cap of 12.00 in US: a human agent decides.",
    )
    assert Order.objects.get(pk="#W3").status == "delivered"


def test_gateway_call__refund_within_the_auto_refund_cap__executed(capped_conversation):
    conversation = capped_conversation
    one = {"order_id": "#W3", "item_ids": ["1001"], "payment_method_id": "credit_card_1"}

    result = _call(conversation, "return_delivered_order_items", one, confirmed=True, idempotency_key="k-1")

    assert (result.status, result.result["status"], result.result["return_items"]) == (
        "executed",
        "return requested",
        ["1001"],
    )


def test_gateway_call__tool_rule_broken__denied_with_the_contracts_exact_text(world):
    conversation = world(ANN)

    result = _call(
        conversation,
        "cancel_pending_order",
        {"order_id": "#W3", "reason": "no longer needed"},
        confirmed=True,
        idempotency_key="k-1",
    )

    assert _denial(result) == (
        "denied",
        "tool_rule",
        "cancel_pending_order",
        "Non-pending order cannot be cancelled",
    )
    assert Order.objects.get(pk="#W3").status == "delivered"


def test_gateway_call__confirmed_cancellation__executed_recorded_and_refunded(world):
    conversation = world(ANN)

    result = _call(
        conversation, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="k-1", source="agent"
    )

    assert (result.status, result.result["status"], result.result["cancel_reason"]) == (
        "executed",
        "cancelled",
        "no longer needed",
    )
    assert _history("#W1") == [
        ("payment", Decimal("25.00"), "credit_card_1"),
        ("refund", Decimal("25.00"), "credit_card_1"),
    ]
    call = ToolCall.objects.get()
    assert (call.seq, call.status, call.confirmed, call.source, call.idempotency_key, call.result) == (
        1,
        "executed",
        True,
        "agent",
        "k-1",
        result.result,
    )
    assert call.duration_ms > 0


def test_gateway_call__calls_in_one_conversation__numbered_in_order(world):
    conversation = world()

    _call(conversation, "find_user_id_by_email", {"email": "ann.lee@example.com"})
    _call(conversation, "get_order_details", {"order_id": "#W6"})
    _call(conversation, "calculate", {"expression": "2 * 3"})

    assert list(conversation.tool_calls.values_list("seq", "name", "status")) == [
        (1, "find_user_id_by_email", "executed"),
        (2, "get_order_details", "denied"),
        (3, "calculate", "executed"),
    ]


# ------------------------------------------------------------------------- hand-off


def test_gateway_call__transfer_to_human__conversation_handed_off_to_the_sop_queue(world):
    conversation = world(ANN)

    result = _call(conversation, "transfer_to_human_agents", {"summary": "Wants a refund to a new card."})

    assert (result.status, result.result) == ("executed", "Transfer successful")
    conversation.refresh_from_db()
    assert (
        conversation.status,
        conversation.outcome,
        conversation.handoff_queue,
        conversation.handoff_summary,
    ) == ("ended", "handed_off", "priority", "Wants a refund to a new card.")
    assert conversation.events.get(kind="handed_off").data == {
        "outcome": "handed_off",
        "handoff_queue": "priority",
        "handoff_summary": "Wants a refund to a new card.",
        "by": "runtime",
    }


def test_gateway_call__after_hand_off__denied_conversation_ended(world):
    conversation = world(ANN)
    _call(conversation, "transfer_to_human_agents", {"summary": "Help."})

    result = _call(conversation, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="k-1")

    assert _denial(result) == (
        "denied",
        "policy_denied",
        "conversation.ended",
        "This conversation has ended: no more tool calls.",
    )
    assert Order.objects.get(pk="#W1").status == "pending"


# ----------------------------------------------------------------------- idempotency


def test_gateway_call__same_key_same_payload__replays_without_executing_again(world):
    conversation = world(ANN)
    first = _call(conversation, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="k-1")

    again = _call(conversation, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="k-1")

    assert (again.status, again.result, again.replayed, again.tool_call.pk) == (
        "executed",
        first.result,
        True,
        first.tool_call.pk,
    )
    assert ToolCall.objects.count() == 1
    assert len(_history("#W1")) == 2


def test_gateway_call__same_key_other_payload__conflict_and_nothing_changed(world):
    conversation = world(ANN)
    _call(conversation, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="k-1")

    with pytest.raises(Conflict) as raised:
        _call(
            conversation,
            "cancel_pending_order",
            {"order_id": "#W2", "reason": "no longer needed"},
            confirmed=True,
            idempotency_key="k-1",
        )

    assert raised.value.code == "idempotency_conflict"
    assert Order.objects.get(pk="#W2").status == "pending"
    assert PaymentMethod.objects.get(pk="gift_card_1").balance == Decimal("20.00")
    assert ToolCall.objects.count() == 1


def test_gateway_call__same_key_in_another_conversation__conflict(world):
    first, second = world(ANN), world(ANN)
    _call(first, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="k-1")

    with pytest.raises(Conflict) as raised:
        _call(second, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="k-1")

    assert raised.value.code == "idempotency_conflict"
    assert second.tool_calls.count() == 0


def test_gateway_call__denied_key_replayed__same_denial_and_still_not_executed(world):
    conversation = world(ANN)
    _call(conversation, "cancel_pending_order", CANCEL_W1, idempotency_key="k-1")

    again = _call(conversation, "cancel_pending_order", CANCEL_W1, idempotency_key="k-1")

    assert (_denial(again), again.replayed) == (
        ("denied", "policy_denied", "confirm.required", again.message),
        True,
    )
    assert Order.objects.get(pk="#W1").status == "pending"
    assert ToolCall.objects.count() == 1


def test_gateway_call__same_key_of_another_api_client__its_own_call(world, api_clients):
    ours = world(ANN)
    theirs = world(ANN, client=api_clients.trusted.client)
    Conversation.objects.filter(pk=ours.pk).update(api_client=api_clients.chatbot.client)
    ours.refresh_from_db()
    _call(ours, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="shared")

    result = _call(
        theirs,
        "cancel_pending_order",
        {"order_id": "#W2", "reason": "ordered by mistake"},
        confirmed=True,
        idempotency_key="shared",
    )

    assert (result.status, result.replayed, result.result["order_id"]) == ("executed", False, "#W2")
    assert ToolCall.objects.filter(idempotency_key="shared").count() == 2


def test_gateway_call__tool_fails_unexpectedly__recorded_failed_and_key_released(world, monkeypatch):
    conversation = world(ANN)
    spec = TOOLS["cancel_pending_order"]

    def broken(**arguments):
        raise RuntimeError("connection reset")

    monkeypatch.setitem(
        TOOLS, spec.name, ToolSpec(spec.name, spec.kind, spec.description, spec.parameters, broken)
    )
    failed = _call(conversation, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="k-1")
    monkeypatch.setitem(TOOLS, spec.name, spec)

    retried = _call(conversation, "cancel_pending_order", CANCEL_W1, confirmed=True, idempotency_key="k-1")

    assert (failed.status, failed.code, failed.tool_call.idempotency_key) == ("failed", "tool_failed", None)
    assert (retried.status, retried.replayed, retried.result["status"]) == ("executed", False, "cancelled")
    assert list(conversation.tool_calls.values_list("seq", "status", "idempotency_key")) == [
        (1, "failed", None),
        (2, "executed", "k-1"),
    ]


def test_conversation_events__opened_and_asserted__two_rows(world):
    conversation = world(ANN)

    assert list(conversation.events.values_list("kind", "data")) == [
        ("opened", {"channel": "chat", "by": "trusted-app"}),
        ("customer_verified", {"customer_id": ANN, "via": "asserted", "by": "trusted-app"}),
    ]
    assert ConversationEvent.objects.count() == 2


def _flow_read(locked, order_id):
    """A read as a flow turn makes it, on the conversation the turn read under its row lock."""
    return gateway_call(
        conversation=locked,
        name="get_order_details",
        arguments={"order_id": order_id},
        source="flow",
        locked=True,
    )


def _locked_read(conversation, order_id):
    """A read as a flow turn makes it: inside the turn's transaction, holding the row lock."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        with CaptureQueriesContext(connection) as captured:
            result = _flow_read(locked, order_id)
        locked.save(update_fields=["tool_call_count"])
    return result, [query["sql"] for query in captured]


def test_gateway_call__flow_turn_reads_own_order__owner_taken_from_the_record_two_statements(world):
    # given a conversation verified as Ann, and a flow turn holding its lock
    conversation = world(ANN)

    # when the turn reads Ann's order #W1
    result, statements = _locked_read(conversation, "#W1")

    # then it is executed with the order: the order's read(s) and the record, no owner read first
    # (PostgreSQL reads an order in one statement; SQLite in four)
    assert (result.status, result.result["order_id"], result.result["user_id"]) == ("executed", "#W1", ANN)
    assert len(statements) == (2 if connection.vendor == "postgresql" else 5)
    assert [s for s in statements if s.startswith('SELECT (SELECT "customer_id"')] == []
    assert statements[-1].startswith('INSERT INTO "scenarios_toolcall"')


@pytest.mark.parametrize(
    ("first", "second"),
    [(("#W6", "denied"), ("#W1", "executed")), (("#W1", "executed"), ("#W6", "denied"))],
    ids=["another_customers_first", "own_first"],
)
def test_gateway_call__two_reads_in_one_flow_turn__each_judged_by_its_own_records_owner(world, first, second):
    # given a conversation verified as Ann, and a flow turn holding its lock (one instance, both calls)
    conversation = world(ANN)
    outcomes = []

    # when the turn reads one order and then the other
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        for order_id, _ in (first, second):
            outcomes.append((order_id, _flow_read(locked, order_id).status))
        locked.save(update_fields=["tool_call_count"])

    # then the owner found by one call never decides the other: Bob's #W6 is refused, Ann's #W1 read
    assert outcomes == [first, second]
    assert list(ToolCall.objects.filter(conversation=conversation).values_list("seq", "status")) == [
        (1, first[1]),
        (2, second[1]),
    ]


def test_gateway_call__flow_turn_reads_another_customers_order__denied_and_nothing_returned(world):
    # given a conversation verified as Ann, and a flow turn holding its lock
    conversation = world(ANN)

    # when the turn reads Bob's order #W6
    result, _ = _locked_read(conversation, "#W6")

    # then it is refused as any other access to Bob's data, and the record keeps no result
    assert _denial(result) == (
        "denied",
        "policy_denied",
        "auth.own_data_only",
        "This conversation may only access the data of its verified customer, not order #W6.",
    )
    assert result.result is None
    stored = ToolCall.objects.get(conversation=conversation)
    assert (stored.seq, stored.status, stored.result) == (1, "denied", None)
