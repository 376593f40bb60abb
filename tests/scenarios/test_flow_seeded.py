"""The seeded flows: each validates against the demo SOPs, seeding is idempotent and routes them."""

import pytest

from scenarios.flows.demo import flows_seed_demo, seeded_definitions
from scenarios.models import RoutingRule, ScenarioClause, ScenarioVersion
from scenarios.services.flows import flow_errors

pytest_plugins = ["tests.scenarios.flow_fixtures"]

SEEDED = [
    "cancel-order",
    "change-default-address",
    "damaged-item",
    "exchange-delivered-items",
    "human-handoff",
    "modify-order",
    "order-status",
    "package-not-received",
    "return-delivered-items",
    "wrong-item",
]


def test_seeded_definitions__files__the_ten_flows():
    assert sorted(seeded_definitions()) == SEEDED


@pytest.mark.parametrize("key", SEEDED)
def test_seeded_flow__against_the_demo_sops__valid(demo_sops, key):
    assert [str(e) for e in flow_errors(seeded_definitions()[key])] == []


def test_flows_seed_demo__twice__released_once_and_routed_per_region(demo_sops, scenario_catalogue):
    first = flows_seed_demo(actor=None)
    second = flows_seed_demo(actor=None)

    assert (sorted(first), second) == (SEEDED, [])
    assert ScenarioVersion.objects.filter(status="released").count() == len(SEEDED)
    assert RoutingRule.objects.filter(region_id="US", action="route").count() == len(SEEDED)
    assert list(
        RoutingRule.objects.filter(scenario__isnull=True).values_list("region_id", "action", "priority")
    ) == [
        ("GB", "clarify", 1000),
        ("ID", "clarify", 1000),
        ("US", "clarify", 1000),
    ]
    assert sorted(
        ScenarioClause.objects.filter(scenario__key="cancel-order").values_list("clause_id", flat=True)
    ) == ["AUTH-1", "AUTH-2", "CAN-1", "CAN-2", "CAN-3", "CAN-4"]


def test_flows_seed_demo__flow_file_changed__new_released_version(demo_sops, scenario_catalogue, monkeypatch):
    flows_seed_demo(actor=None)
    changed = seeded_definitions()
    changed["human-handoff"]["steps"]["transfer"]["queue"] = "priority"
    monkeypatch.setattr("scenarios.flows.demo.seeded_definitions", lambda: changed)

    released = flows_seed_demo(actor=None)

    assert released == ["human-handoff"]
    versions = ScenarioVersion.objects.filter(scenario__key="human-handoff").order_by("number")
    assert [(v.number, v.status) for v in versions] == [(1, "released"), (2, "released")]
