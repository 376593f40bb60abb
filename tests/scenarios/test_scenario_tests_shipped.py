"""Every shipped scenario test case passes against the demo installation (the reference marketplace,
the demo SOPs, the seeded scenarios with a trained identifier, the released flows), and running
them all leaves the marketplace exactly as it was."""

import pytest

from aftersales.demo import regions_seed_demo, staff_seed_demo
from aftersales.marketplace.demo import marketplace_seed_demo
from aftersales.marketplace.io import marketplace_export
from aftersales.sops.demo import sops_seed_demo
from scenarios.demo import scenarios_seed_demo
from scenarios.flows.demo import flows_seed_demo, seeded_definitions
from scenarios.identification.embedded import clear_cache
from scenarios.models import Conversation, ScenarioTestCase
from scenarios.scenario_tests_demo import scenario_tests_seed_demo, shipped_case_documents
from scenarios.services.scenario_tests import (
    scenario_test_run_create,
    scenario_test_run_execute,
    scenario_test_versions,
)


@pytest.fixture
def demo(db):
    clear_cache()
    regions_seed_demo()
    actor = staff_seed_demo()["admin"]
    marketplace_seed_demo()
    sops_seed_demo(actor=actor)
    scenarios_seed_demo(actor=actor, train=True)
    flows_seed_demo(actor=actor)
    yield actor
    clear_cache()


def test_shipped_cases__files__one_per_seeded_flow_each_with_a_refusal():
    documents = shipped_case_documents()

    assert sorted(documents) == sorted(seeded_definitions())
    assert [key for key, doc in documents.items() if key == doc["scenario"]] == sorted(documents)
    without_refusal = [
        key
        for key, doc in documents.items()
        if key != "human-handoff" and not any(c["name"].startswith("forbidden:") for c in doc["cases"])
    ]
    assert without_refusal == []


def test_shipped_cases__against_the_demo__every_enabled_case_passes_and_nothing_changes(demo):
    first = scenario_tests_seed_demo(actor=demo)
    again = scenario_tests_seed_demo(actor=demo)
    before = marketplace_export()

    runs = [
        scenario_test_run_execute(run_id=scenario_test_run_create(actor=None, version=version).pk)
        for version in scenario_test_versions()
    ]

    cases = ScenarioTestCase.objects.count()
    assert (first["create"], again) == (cases, {"create": 0, "update": 0, "unchanged": cases})
    failures = {
        f"{run.scenario_version.scenario.key} / {result.case.name}": result.error or result.failures
        for run in runs
        for result in run.results.select_related("case").filter(passed=False)
    }
    assert failures == {}
    assert sum(run.total for run in runs) == ScenarioTestCase.objects.filter(enabled=True).count()
    assert [run.status for run in runs] == ["passed"] * len(seeded_definitions())
    assert marketplace_export() == before
    assert Conversation.objects.count() == 0
