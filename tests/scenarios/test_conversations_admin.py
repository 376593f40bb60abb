"""The conversation admin: a filtered, region-scoped list and a read-only trace page for ops."""

import pytest
from django.contrib.auth import get_user_model

from scenarios.services.gateway import gateway_call

pytest.register_assert_rewrite("tests.scenarios.gateway_fixtures")
pytest_plugins = ["tests.scenarios.gateway_fixtures", "tests.aftersales.sop_fixtures"]

ANN = "ann_lee_1"


@pytest.fixture
def staff(client, world, plain_static_storage):
    user = get_user_model().objects.create_superuser(username="admin", password=None)
    client.force_login(user)
    return client


@pytest.fixture
def traced(world):
    conversation = world(ANN)
    gateway_call(conversation=conversation, name="get_order_details", arguments={"order_id": "#W6"})
    gateway_call(
        conversation=conversation,
        name="cancel_pending_order",
        arguments={"order_id": "#W1", "reason": "no longer needed"},
        confirmed=True,
        idempotency_key="k-1",
    )
    gateway_call(
        conversation=conversation, name="transfer_to_human_agents", arguments={"summary": "Needs a person."}
    )
    return conversation


def test_admin_conversation_list__filtered_by_outcome__only_matching(staff, traced, world):
    other = world()

    response = staff.get("/admin/scenarios/conversation/?outcome=handed_off")

    assert response.status_code == 200
    html = response.content.decode()
    assert str(traced.pk) in html
    assert str(other.pk) not in html


def test_admin_conversation_list__search_by_id_and_customer__found(staff, traced, world):
    other = world()

    by_id = staff.get(f"/admin/scenarios/conversation/?q={traced.pk}").content.decode()
    by_customer = staff.get("/admin/scenarios/conversation/?q=ann_lee_1").content.decode()

    assert (str(traced.pk) in by_id, str(other.pk) in by_id) == (True, False)
    assert (str(traced.pk) in by_customer, str(other.pk) in by_customer) == (True, False)


def test_admin_conversation_page__trace__events_and_calls_in_order_with_denials(staff, traced):
    response = staff.get(f"/admin/scenarios/conversation/{traced.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    timeline = html[html.index('id="conversation-trace"') :]
    order = [
        timeline.index("event <strong>opened</strong>"),
        timeline.index("event <strong>customer_verified</strong>"),
        timeline.index("#1 <strong>get_order_details</strong>"),
        timeline.index("#2 <strong>cancel_pending_order</strong>"),
        timeline.index("#3 <strong>transfer_to_human_agents</strong>"),
        timeline.index("event <strong>handed_off</strong>"),
    ]
    assert order == sorted(order)
    assert "rule <code>auth.own_data_only</code>" in timeline
    assert "handed off to <strong>priority</strong>: Needs a person." in timeline
    assert "3 tool calls, 1 denied, 0 failed" in timeline
    assert 'name="_save"' not in html


def test_admin_conversation_list__staff_limited_to_gb__sees_no_us_conversation(
    client, traced, plain_static_storage
):
    from tests.aftersales.sop_fixtures import make_staff

    client.force_login(
        make_staff("gb-viewer", "viewer", regions=[traced.region.__class__.objects.get(code="GB")])
    )

    response = client.get("/admin/scenarios/conversation/")

    assert str(traced.pk) not in response.content.decode()
