"""Scenario versions: validated on save, immutable once released, numbered per scenario."""

import pytest

from config.errors import InvalidTransition, ValidationFailed
from scenarios.flows.demo import seeded_definitions
from scenarios.models import ScenarioVersion
from scenarios.services.flows import (
    scenario_version_create,
    scenario_version_release,
    scenario_version_retire,
    scenario_version_update,
)

pytest_plugins = ["tests.scenarios.flow_fixtures"]


@pytest.fixture
def handoff(demo_sops, scenario_catalogue):
    return scenario_catalogue["human-handoff"], seeded_definitions()["human-handoff"]


def test_scenario_version_create__invalid_flow__refused_with_the_step_named(handoff):
    scenario, definition = handoff
    definition["steps"]["transfer"]["clause"] = "CAN-9"

    with pytest.raises(ValidationFailed) as refused:
        scenario_version_create(actor=None, scenario=scenario, definition=definition)

    assert refused.value.code == "invalid_flow"
    assert refused.value.details == {
        "errors": [
            {
                "step": "transfer",
                "code": "unknown_clause",
                "message": "clause 'CAN-9' is not a clause of SOP human-handoff "
                "(nor of the SOP its prefix names)",
            }
        ]
    }
    assert ScenarioVersion.objects.count() == 0


def test_scenario_version_create__unknown_sop__refused(handoff):
    scenario, definition = handoff
    definition["sop"] = "no-such-sop"

    with pytest.raises(ValidationFailed) as refused:
        scenario_version_create(actor=None, scenario=scenario, definition=definition)

    assert refused.value.details["errors"][0] == {
        "step": None,
        "code": "unknown_sop",
        "message": "no SOP 'no-such-sop'",
    }


def test_scenario_version_release__then_edit__immutable_and_new_draft_numbered_next(handoff):
    scenario, definition = handoff
    version = scenario_version_create(actor=None, scenario=scenario, definition=definition)
    scenario_version_release(actor=None, version=version)
    before = ScenarioVersion.objects.get(pk=version.pk).definition

    with pytest.raises(InvalidTransition) as refused:
        scenario_version_update(actor=None, version=version, definition={**definition, "start": "x"})
    draft = scenario_version_create(actor=None, scenario=scenario, definition=definition)

    assert refused.value.code == "scenario_version_immutable"
    assert ScenarioVersion.objects.get(pk=version.pk).definition == before
    assert (draft.number, draft.status, draft.content_hash) == (2, "draft", version.content_hash)


def test_scenario_version_release__twice__invalid_transition(handoff):
    scenario, definition = handoff
    version = scenario_version_release(
        actor=None, version=scenario_version_create(actor=None, scenario=scenario, definition=definition)
    )

    with pytest.raises(InvalidTransition):
        scenario_version_release(actor=None, version=version)
    scenario_version_retire(actor=None, version=version)

    assert ScenarioVersion.objects.get(pk=version.pk).status == "retired"


def test_scenario_version_create__agent_with_unknown_tool__refused(handoff):
    scenario, _ = handoff

    with pytest.raises(ValidationFailed) as refused:
        scenario_version_create(
            actor=None, scenario=scenario, kind="agent", instructions="Help.", allowed_tools=["refund_all"]
        )

    assert refused.value.details["errors"] == [
        {"step": None, "code": "unknown_tool", "message": "tool 'refund_all' is not in the tool registry"}
    ]
