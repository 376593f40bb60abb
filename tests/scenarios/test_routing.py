"""Routing: ordered rules per region and channel → a scenario version, a clarification or a queue."""

import pytest
from django.core.exceptions import ValidationError

from scenarios.engine.routing import RouteDecision, Rule, route
from scenarios.flows.selectors import ReleasedVersions, released_versions, routing_rules_for
from scenarios.models import RoutingRule, Scenario, ScenarioVersion

RELEASED = {"cancel-order": 11, "order-status": 12}


def test_route__first_matching_rule__routes_to_newest_released_version():
    rules = [
        Rule(1, "order-status", 0.5, "route"),
        Rule(2, "cancel-order", 0.5, "route"),
        Rule(3, None, 0.0, "clarify"),
    ]

    assert route(rules, scenario_key="cancel-order", confidence=0.8, released=RELEASED) == RouteDecision(
        "route", "cancel-order", 11, rule_id=2, reason="rule matched"
    )


def test_route__confidence_below_threshold__falls_to_catch_all_clarify():
    rules = [Rule(1, "cancel-order", 0.7, "route"), Rule(2, None, 0.0, "clarify")]

    decision = route(rules, scenario_key="cancel-order", confidence=0.69, released=RELEASED)

    assert (decision.action, decision.rule_id, decision.version_id) == ("clarify", 2, None)


def test_route__pinned_version__wins_over_newest():
    rules = [Rule(1, "cancel-order", 0.0, "route", version_id=5)]

    assert route(rules, scenario_key="cancel-order", confidence=0.9, released=RELEASED).version_id == 5


def test_route__nothing_released__next_rule_decides():
    rules = [Rule(1, "damaged-item", 0.0, "route"), Rule(2, "damaged-item", 0.0, "handoff", queue="claims")]

    decision = route(rules, scenario_key="damaged-item", confidence=0.9, released=RELEASED)

    assert (decision.action, decision.queue, decision.rule_id) == ("handoff", "claims", 2)


def test_route__out_of_scope_no_rules__clarify():
    assert route([], scenario_key=None, confidence=0.1, released=RELEASED) == RouteDecision(
        "clarify", None, reason="no rule matched"
    )


@pytest.fixture
def catalogue(regions):
    cancel = Scenario.objects.create(key="cancel-order", name="Cancel", description="Cancel.")
    other = Scenario.objects.create(key="order-status", name="Status", description="Status.")
    return cancel, other


def test_routing_rules_for__channel_rules_before_any_channel_at_equal_priority(catalogue, regions):
    cancel, _ = catalogue
    any_channel = RoutingRule.objects.create(
        region=regions["US"], priority=10, scenario=cancel, action="route"
    )
    chat = RoutingRule.objects.create(
        region=regions["US"], channel="chat", priority=10, action="handoff", queue="vip"
    )
    RoutingRule.objects.create(region=regions["US"], channel="email", priority=1, action="clarify")
    RoutingRule.objects.create(region=regions["GB"], priority=1, action="clarify")
    RoutingRule.objects.create(region=regions["US"], priority=1, action="clarify", is_active=False)

    rules = routing_rules_for("US", "chat")

    assert [r.id for r in rules] == [chat.pk, any_channel.pk]


def test_routing_rule_clean__route_without_scenario_or_with_a_draft__refused(catalogue, regions):
    cancel, other = catalogue
    draft = ScenarioVersion.objects.create(scenario=cancel, number=1, content_hash="x")

    with pytest.raises(ValidationError) as no_scenario:
        RoutingRule(region=regions["US"], action="route").full_clean()
    with pytest.raises(ValidationError) as unreleased:
        RoutingRule(region=regions["US"], scenario=cancel, scenario_version=draft).full_clean()
    with pytest.raises(ValidationError) as foreign:
        RoutingRule(region=regions["US"], scenario=other, scenario_version=draft).full_clean()
    with pytest.raises(ValidationError) as no_queue:
        RoutingRule(region=regions["US"], action="handoff").full_clean()

    assert no_scenario.value.message_dict == {"scenario": ["A route rule names the scenario it routes to."]}
    assert unreleased.value.message_dict == {
        "scenario_version": ["Only a released version can serve customers."]
    }
    assert foreign.value.message_dict == {
        "scenario_version": ["The version must be a version of the rule's scenario."]
    }
    assert no_queue.value.message_dict == {"queue": ["A hand-off rule names its human queue."]}
    assert RoutingRule.objects.count() == 0


def test_released_versions_lazy__one_query_per_scenario_asked__newest_released(
    catalogue, django_assert_num_queries
):
    cancel, other = catalogue
    ScenarioVersion.objects.create(scenario=cancel, number=1, content_hash="a", status="released")
    newest = ScenarioVersion.objects.create(scenario=cancel, number=2, content_hash="b", status="released")
    ScenarioVersion.objects.create(scenario=cancel, number=3, content_hash="c")  # a draft
    ScenarioVersion.objects.create(scenario=other, number=1, content_hash="d", status="retired")
    released = ReleasedVersions()

    with django_assert_num_queries(2):
        found = (released.get("cancel-order"), released.get("order-status"), released.get("cancel-order"))
        missing = released.get("order-status")

    assert (found, missing) == ((newest.pk, None, newest.pk), None)
    assert dict(released) == released_versions() == {"cancel-order": newest.pk}
