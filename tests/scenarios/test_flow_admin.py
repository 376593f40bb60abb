"""The flow admin: versions with their validation errors by step, routing rules, clause coverage."""

import pytest
from django.contrib.auth import get_user_model

from scenarios.flows.demo import seeded_definitions
from scenarios.models import ScenarioVersion

pytest_plugins = ["tests.scenarios.flow_fixtures"]


@pytest.fixture
def staff(client, db, plain_static_storage):
    user = get_user_model().objects.create_superuser(username="flow-admin", password=None)
    client.force_login(user)
    return client


def test_admin_flows__changelists_and_coverage__200_with_uncovered_clauses(staff, seeded_flows):
    version = ScenarioVersion.objects.get(scenario__key="cancel-order")

    pages = [
        staff.get("/admin/scenarios/scenarioversion/"),
        staff.get(f"/admin/scenarios/scenarioversion/{version.pk}/change/"),
        staff.get("/admin/scenarios/routingrule/"),
        staff.get("/admin/scenarios/scenarioversion/coverage/"),
    ]

    assert [p.status_code for p in pages] == [200, 200, 200, 200]
    coverage = pages[3].content.decode()
    assert "cancel-order v1: ask_reason" in coverage
    assert (
        '<td>LDC-1</td><td>When it applies</td>\n        <td><span class="uncovered">no step</span>'
        in coverage
    )
    assert "Valid." in pages[1].content.decode()


def test_admin_flows__invalid_definition_posted__errors_name_the_step_and_nothing_saved(
    staff, seeded_flows, scenario_catalogue
):
    definition = seeded_definitions()["human-handoff"]
    definition["steps"]["transfer"]["queue"] = ""
    definition["steps"]["orphan"] = {"type": "end", "clause": "", "outcome": "resolved"}

    response = staff.post(
        "/admin/scenarios/scenarioversion/add/",
        {
            "scenario": scenario_catalogue["human-handoff"].pk,
            "kind": "flow",
            "definition": __import__("json").dumps(definition),
            "instructions": "",
            "allowed_tools": "[]",
            "change_summary": "",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "transfer: queue: &#x27;&#x27; should be non-empty [invalid_field]" in html
    assert "orphan: no path from &#x27;transfer&#x27; leads to this step [unreachable_step]" in html
    assert ScenarioVersion.objects.filter(scenario__key="human-handoff").count() == 1
