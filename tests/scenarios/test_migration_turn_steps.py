"""Migration 0006: the step rows of each turn become its ``steps`` list, in position order."""

import pytest
from django.db import connection

from scenarios.models import Turn

BEFORE = [("scenarios", "0005_conversation_counters")]
AFTER = [("scenarios", "0006_turn_steps_json")]


@pytest.mark.django_db(transaction=True)
def test_migration_0006__step_rows__become_each_turns_steps_in_position_order(migrate):
    apps = migrate(BEFORE)
    region = apps.get_model("aftersales", "Region").objects.create(
        code="US", name="United States", currency="USD", time_zone="America/New_York", language="en-US"
    )
    conversation = apps.get_model("scenarios", "Conversation").objects.create(region=region, channel="chat")
    Turn0005 = apps.get_model("scenarios", "Turn")
    with_steps = Turn0005.objects.create(
        conversation=conversation, index=1, customer_text="hi", decision="route"
    )
    without = Turn0005.objects.create(
        conversation=conversation, index=2, customer_text="ok", decision="continue"
    )
    Step = apps.get_model("scenarios", "TurnStep")
    Step.objects.create(turn=with_steps, position=2, step_id="reply", type="reply", detail={"text": "Hello"})
    Step.objects.create(
        turn=with_steps,
        position=1,
        step_id="ask",
        type="collect",
        clause="AUTH-1",
        detail={},
        duration_ms=1.5,
    )

    migrate(AFTER)

    assert Turn.objects.get(pk=with_steps.pk).steps == [
        {"step": "ask", "type": "collect", "clause": "AUTH-1", "detail": {}, "duration_ms": 1.5},
        {"step": "reply", "type": "reply", "clause": "", "detail": {"text": "Hello"}, "duration_ms": 0.0},
    ]
    assert Turn.objects.get(pk=without.pk).steps == []
    assert "scenarios_turnstep" not in connection.introspection.table_names()


@pytest.mark.django_db(transaction=True)
def test_migration_0006__reversed__steps_become_rows_again(migrate):
    from aftersales.models import Region
    from scenarios.models import Conversation

    region = Region.objects.create(
        code="US", name="United States", currency="USD", time_zone="America/New_York", language="en-US"
    )
    conversation = Conversation.objects.create(region=region, channel="chat")
    turn = Turn.objects.create(
        conversation=conversation,
        index=1,
        customer_text="hi",
        decision="route",
        steps=[
            {"step": "ask", "type": "collect", "clause": "AUTH-1", "detail": {}, "duration_ms": 1.5},
            {"step": "reply", "type": "reply", "clause": "", "detail": {"text": "Hello"}, "duration_ms": 0.0},
        ],
    )

    apps = migrate(BEFORE)

    rows = apps.get_model("scenarios", "TurnStep").objects.filter(turn_id=turn.pk).order_by("position")
    assert list(rows.values_list("position", "step_id", "type", "clause", "detail", "duration_ms")) == [
        (1, "ask", "collect", "AUTH-1", {}, 1.5),
        (2, "reply", "reply", "", {"text": "Hello"}, 0.0),
    ]
