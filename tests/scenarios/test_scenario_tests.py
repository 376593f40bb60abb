"""Scenario tests: the runner passes and fails exactly as it should, every case is rolled back (the
marketplace is unchanged after a run), the case format, import/export, the command, the task and
the admin. Played on the small marketplace with the seeded flows and the keyword identifier."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from aftersales.marketplace.io import marketplace_export
from aftersales.models import Order, PaymentMethod
from config.errors import InvalidTransition, ValidationFailed
from scenarios.engine.assertions import check
from scenarios.models import (
    Conversation,
    Scenario,
    ScenarioTestCase,
    ScenarioTestResult,
    ScenarioTestRun,
    ScenarioVersion,
    ToolCall,
)
from scenarios.services.scenario_tests import (
    scenario_test_case_upsert,
    scenario_test_cases_export,
    scenario_test_cases_import,
    scenario_test_cases_parse,
    scenario_test_run_create,
    scenario_test_run_execute,
)

pytest_plugins = ["tests.scenarios.flow_fixtures"]

CANCEL = {
    "region": "US",
    "channel": "chat",
    "scenario": "cancel-order",
    "customer_id": "ann_lee_1",
    "turns": [
        {"user": "cancel #W0000002", "expect": {"reply_contains": "why would you like to cancel"}},
        {"user": "no longer needed", "expect": {"slots": {"reason": "no longer needed"}}},
        {"user": "yes", "expect": {"ended": True}},
    ],
    "expect": {
        "outcome": "resolved",
        "tool_called": [
            {
                "name": "cancel_pending_order",
                "arguments": {"order_id": "#W0000002"},
                "status": "executed",
            }
        ],
        "marketplace": [
            {"order": "#W0000002", "path": "status", "equals": "cancelled"},
            {"payment_method": "gift_card_1", "path": "balance", "equals": 32.5},
        ],
    },
}


def _case(name="cancel", definition=None, scenario="cancel-order"):
    case, _ = scenario_test_case_upsert(
        actor=None,
        scenario=Scenario.objects.get(key=scenario),
        name=name,
        definition=definition or CANCEL,
    )
    return case


def _run(*cases, scenario="cancel-order") -> ScenarioTestRun:
    version = ScenarioVersion.objects.get(scenario__key=scenario, status="released")
    run = scenario_test_run_create(actor=None, version=version, case_names=[c.name for c in cases])
    return scenario_test_run_execute(run_id=run.pk)


def _with(definition: dict, **changes) -> dict:
    return {**json.loads(json.dumps(definition)), **changes}


def test_run__passing_case__passed_and_the_marketplace_unchanged(flow_world):
    case = _case()
    before = marketplace_export()

    run = _run(case)

    assert (run.status, run.total, run.passed, run.failed, run.errors) == ("passed", 1, 1, 0, 0)
    result = ScenarioTestResult.objects.get(run=run)
    assert (result.passed, result.failures, result.error) == (True, [], "")
    assert [t["user"] for t in result.transcript] == ["cancel #W0000002", "no longer needed", "yes"]
    assert result.transcript[-1]["bot"] == (
        "Done: order #W0000002 is cancelled and its refund is on the way."
    )
    assert marketplace_export() == before
    assert Order.objects.get(pk="#W0000002").status == "pending"
    assert (Conversation.objects.count(), ToolCall.objects.count()) == (0, 0)
    assert not Conversation.objects.filter(pk=result.conversation_id).exists()


def test_run__wrong_assertion__failed_with_expected_and_actual(flow_world):
    wrong = _with(CANCEL)
    wrong["expect"]["marketplace"] = [{"order": "#W0000002", "path": "status", "equals": "delivered"}]
    wrong["turns"][0]["expect"] = {"reply_contains": "refund it to your wallet"}
    case = _case(definition=wrong)
    before = marketplace_export()

    run = _run(case)

    assert (run.status, run.passed, run.failed) == ("failed", 0, 1)
    result = ScenarioTestResult.objects.get(run=run)
    assert result.passed is False
    assert result.failures == [
        {
            "where": "turn 1",
            "assertion": "reply contains",
            "expected": "refund it to your wallet",
            "actual": "Why would you like to cancel order #W0000002: "
            '"no longer needed" or "ordered by mistake"?',
        },
        {
            "where": "end",
            "assertion": "marketplace order #W0000002 status",
            "expected": "delivered",
            "actual": "cancelled",
        },
    ]
    assert marketplace_export() == before


def test_run__fixture_patch__applied_inside_the_case_and_rolled_back(flow_world):
    patched = _with(
        CANCEL,
        fixture={"base": "reference", "patch": {"payment_methods": {"gift_card_1": {"balance": "1.00"}}}},
    )
    patched["expect"]["marketplace"] = [{"payment_method": "gift_card_1", "path": "balance", "equals": 13.5}]
    case = _case(definition=patched)

    run = _run(case)

    assert run.status == "passed"
    assert str(PaymentMethod.objects.get(pk="gift_card_1").balance) == "20.00"


def test_run__identification_case__routes_through_the_identifier(flow_world):
    identified = _with(
        CANCEL, turns=[{"user": "please cancel #W0000002", "expect": {"scenario": "cancel-order"}}]
    )
    del identified["scenario"]
    identified["expect"] = {"scenario": "cancel-order", "ended": False}
    misidentified = _with(
        identified, turns=[{"user": "please cancel #W0000002", "expect": {"scenario": "order-status"}}]
    )
    passing, failing = _case("identified", identified), _case("misidentified", misidentified)

    run = _run(passing, failing)

    assert (run.status, run.passed, run.failed) == ("failed", 1, 1)
    assert ScenarioTestResult.objects.get(run=run, case=failing).failures == [
        {"where": "turn 1", "assertion": "scenario", "expected": "order-status", "actual": "cancel-order"}
    ]


def test_run__another_customers_order__denial_asserted_with_rule_and_code(flow_world):
    denied = {
        "region": "US",
        "scenario": "cancel-order",
        "customer_id": "ann_lee_1",
        "turns": [{"user": "cancel #W0000006"}],
        "expect": {
            "tool_denied": [
                {"name": "get_order_details", "rule": "auth.own_data_only", "code": "policy_denied"}
            ],
            "tool_not_called": ["cancel_pending_order"],
            "marketplace_unchanged": True,
            "ended": False,
        },
    }
    wrong_rule = _with(denied, expect={"tool_denied": [{"rule": "auth.required"}]})
    passing, failing = _case("denied", denied), _case("wrong rule", wrong_rule)

    run = _run(passing, failing)

    assert (run.passed, run.failed) == (1, 1)
    (failure,) = ScenarioTestResult.objects.get(run=run, case=failing).failures
    assert (failure["assertion"], failure["expected"]) == (
        "tool denied",
        {"rule": "auth.required", "status": "denied"},
    )
    assert [(c["name"], c["status"], c["rule"]) for c in failure["actual"]] == [
        ("get_user_details", "executed", ""),
        ("get_order_details", "denied", "auth.own_data_only"),
    ]


def test_run__marketplace_changed_but_asserted_unchanged__failure_names_the_records(flow_world):
    case = _case(definition=_with(CANCEL, expect={"marketplace_unchanged": True}))

    run = _run(case)

    assert ScenarioTestResult.objects.get(run=run).failures == [
        {
            "where": "end",
            "assertion": "marketplace unchanged",
            "expected": [],
            "actual": ["users ann_lee_1", "orders #W0000002"],
        }
    ]


def test_run__conversation_ended_before_the_last_message__failed(flow_world):
    case = _case(definition=_with(CANCEL, turns=[*CANCEL["turns"], {"user": "thanks"}], expect={}))

    run = _run(case)

    assert ScenarioTestResult.objects.get(run=run).failures == [
        {
            "where": "turn 4",
            "assertion": "conversation open",
            "expected": "thanks",
            "actual": "the conversation ended (resolved) before this message",
        }
    ]


def test_run__fixture_names_an_unknown_order__error_result_and_run_failed(flow_world):
    case = _case(
        definition=_with(CANCEL, fixture={"patch": {"orders": {"#W9999999": {"status": "pending"}}}})
    )

    run = _run(case)

    assert (run.status, run.errors, run.failed, run.passed) == ("failed", 1, 0, 0)
    result = ScenarioTestResult.objects.get(run=run)
    assert (result.passed, result.error) == (
        False,
        "NotFound: fixture patch: no orders '#W9999999' in the marketplace.",
    )


def test_run__executed_twice__second_refused(flow_world):
    run = _run(_case())

    with pytest.raises(InvalidTransition):
        scenario_test_run_execute(run_id=run.pk)

    assert ScenarioTestResult.objects.filter(run=run).count() == 1


def test_run_task__queued_run__executed(flow_world):
    from scenarios.tasks import run_scenario_tests

    version = ScenarioVersion.objects.get(scenario__key="cancel-order", status="released")
    run = scenario_test_run_create(actor=None, version=version, case_names=[_case().name])

    run_scenario_tests(run.pk)

    run.refresh_from_db()
    assert (run.status, run.passed) == ("passed", 1)


# ---------------------------------------------------------------------- the case format


def test_case_upsert__invalid_definition__refused_with_paths_and_nothing_saved(scenario_catalogue):
    bad = {
        "region": "US",
        "turns": [{"user": "hi", "expect": {"reply_contain": "x"}}],
        "fixture": {"base": "empty"},
    }

    with pytest.raises(ValidationFailed) as refused:
        scenario_test_case_upsert(
            actor=None, scenario=Scenario.objects.get(key="cancel-order"), name="bad", definition=bad
        )

    assert refused.value.details["definition"] == [
        "fixture/base: 'reference' was expected",
        "turns/0/expect: Additional properties are not allowed ('reply_contain' was unexpected)",
    ]
    assert ScenarioTestCase.objects.count() == 0


def test_check__each_assertion__expected_vs_actual():
    observed = {
        "scenario": "cancel-order",
        "slots": {"order_id": "#W1"},
        "reply": "Done.",
        "tool_calls": [
            {"name": "cancel_pending_order", "arguments": {"order_id": "#W1"}, "status": "executed"}
        ],
        "handoff": None,
        "ended": True,
    }
    expect = {
        "slots": {"order_id": "#W2", "reason": "x"},
        "tool_not_called": ["cancel_pending_order"],
        "reply_not_contains": "done",
        "handoff": {"queue": "general"},
    }

    failures = check(expect, observed, where="turn 1")

    assert [(f["assertion"], f["expected"], f["actual"]) for f in failures] == [
        ("slot order_id", "#W2", "#W1"),
        ("slot reason", "x", None),
        (
            "tool not called cancel_pending_order",
            [],
            [
                {
                    "name": "cancel_pending_order",
                    "arguments": {"order_id": "#W1"},
                    "status": "executed",
                    "code": None,
                    "rule": None,
                }
            ],
        ),
        ("reply does not contain", "done", "Done."),
        ("handoff", {"queue": "general"}, None),
    ]


def test_import__export_of_cases__imports_back_unchanged(flow_world):
    _case("one")
    _case("two", definition=_with(CANCEL, channel="email"))
    document = scenario_test_cases_export(ScenarioTestCase.objects.select_related("scenario"))

    counts = scenario_test_cases_import(actor=None, document=json.loads(json.dumps(document)))

    assert counts == {"create": 0, "update": 0, "unchanged": 2}
    assert [c["name"] for c in document["cases"]] == ["one", "two"]


def test_import__one_invalid_case__nothing_imported(scenario_catalogue):
    document = {
        "scenario": "cancel-order",
        "cases": [
            {"name": "good", "definition": {"region": "US", "turns": [{"user": "hi"}]}},
            {"name": "bad", "definition": {"region": "US", "turns": []}},
            {
                "scenario": "no-such-scenario",
                "name": "lost",
                "definition": {"region": "US", "turns": [{"user": "x"}]},
            },
        ],
    }

    with pytest.raises(ValidationFailed) as refused:
        scenario_test_cases_import(actor=None, document=document)

    assert refused.value.details["errors"] == [
        "case 2: turns: [] should be non-empty",
        "case 3: unknown scenario 'no-such-scenario'",
    ]
    assert ScenarioTestCase.objects.count() == 0


# -------------------------------------------------------------------------- the command


def _command(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("run_scenario_tests", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue()
    return 0, out.getvalue()


def test_command__passing_cases__exit_0_and_results_stored(flow_world):
    _case()

    code, out = _command("--scenario", "cancel-order")

    assert (code, out) == (0, "cancel-order v1: passed (1/1 passed)\n")
    assert ScenarioTestRun.objects.get().status == "passed"


def test_command__a_failing_case__exit_1_with_expected_and_actual(flow_world):
    _case()
    wrong = _with(CANCEL, expect={"outcome": "handed_off"})
    _case("wrong", definition=wrong)

    code, out = _command("--json")

    assert code == 1
    (report,) = json.loads(out)
    assert (report["scenario"], report["status"], report["passed"], report["failed"]) == (
        "cancel-order",
        "failed",
        1,
        1,
    )
    assert report["failures"] == [
        {
            "case": "wrong",
            "error": "",
            "failures": [
                {"where": "end", "assertion": "outcome", "expected": "handed_off", "actual": "resolved"}
            ],
        }
    ]


def test_command__only_the_named_case__runs_it_alone(flow_world):
    _case()
    _case("wrong", definition=_with(CANCEL, expect={"outcome": "handed_off"}))

    code, _ = _command("--scenario", "cancel-order", "--version", "1", "--case", "cancel")

    assert code == 0
    assert list(ScenarioTestResult.objects.values_list("case__name", "passed")) == [("cancel", True)]


# ---------------------------------------------------------------------------- the admin


@pytest.fixture
def staff(client, db, plain_static_storage):
    user = get_user_model().objects.create_superuser(username="tests-admin", password=None)
    client.force_login(user)
    return client


def test_admin_run_action__on_cases__run_queued_and_task_enqueued_after_commit(
    staff, flow_world, django_capture_on_commit_callbacks, monkeypatch
):
    case = _case()
    sent = []
    monkeypatch.setattr("scenarios.tasks.run_scenario_tests.delay", lambda run_id: sent.append(run_id))

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/scenarios/scenariotestcase/", {"action": "run_tests", "_selected_action": [case.pk]}
        )

    assert response.status_code == 302
    run = ScenarioTestRun.objects.get()
    assert (run.status, run.case_names, run.scenario_version.scenario.key, sent) == (
        "queued",
        ["cancel"],
        "cancel-order",
        [run.pk],
    )


def test_admin_run_action__on_versions__one_run_per_version_enqueued(
    staff, flow_world, django_capture_on_commit_callbacks, monkeypatch
):
    _case()
    version = ScenarioVersion.objects.get(scenario__key="cancel-order")
    sent = []
    monkeypatch.setattr("scenarios.tasks.run_scenario_tests.delay", lambda run_id: sent.append(run_id))

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/scenarios/scenarioversion/",
            {"action": "run_scenario_tests_on_versions", "_selected_action": [version.pk]},
        )

    assert response.status_code == 302
    assert list(ScenarioTestRun.objects.values_list("scenario_version_id", "case_names", "status")) == [
        (version.pk, [], "queued")
    ]
    assert sent == [ScenarioTestRun.objects.get().pk]


def test_admin_results_page__failed_case__shows_expected_and_actual(staff, flow_world):
    run = _run(_case(definition=_with(CANCEL, expect={"outcome": "handed_off"})))

    pages = [
        staff.get(f"/admin/scenarios/scenariotestrun/{run.pk}/results/"),
        staff.get(f"/admin/scenarios/scenariotestrun/{run.pk}/change/"),
        staff.get("/admin/scenarios/scenariotestcase/"),
    ]

    assert [p.status_code for p in pages] == [200, 200, 200]
    html = pages[0].content.decode()
    assert '<code>handed_off</code></td><td class="align-top"><code>resolved</code>' in html
    assert "0 passed, 1 failed, 0 errors of 1" in html


def test_admin_import__upload_preview_import__cases_created(staff, scenario_catalogue):
    document = {
        "scenario": "cancel-order",
        "cases": [{"name": "hello", "definition": {"region": "US", "turns": [{"user": "hi"}]}}],
    }
    upload = SimpleUploadedFile("cases.json", json.dumps(document).encode(), "application/json")

    uploaded = staff.post("/admin/scenarios/scenariotestcase/import/", {"file": upload})
    preview = staff.get("/admin/scenarios/scenariotestcase/import/")
    done = staff.post("/admin/scenarios/scenariotestcase/import/", {"import": "1"})

    assert (uploaded.status_code, preview.status_code, done.status_code) == (302, 200, 302)
    assert '<td class="pr-4">create</td>' in preview.content.decode()
    assert list(ScenarioTestCase.objects.values_list("scenario__key", "name", "enabled")) == [
        ("cancel-order", "hello", True)
    ]


def test_admin_export_action__cases__json_download_in_the_import_format(staff, flow_world):
    case = _case()

    response = staff.post(
        "/admin/scenarios/scenariotestcase/", {"action": "export_json", "_selected_action": [case.pk]}
    )

    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "cases": [
            {
                "scenario": "cancel-order",
                "name": "cancel",
                "description": "",
                "enabled": True,
                "definition": CANCEL,
            }
        ]
    }
    assert scenario_test_cases_parse(json.loads(response.content))[0].action == "unchanged"


def test_case_upsert__empty_name__refused_and_nothing_saved(scenario_catalogue):
    with pytest.raises(ValidationFailed) as refused:
        scenario_test_case_upsert(
            actor=None, scenario=Scenario.objects.get(key="cancel-order"), name="", definition=CANCEL
        )

    assert refused.value.details == {"name": ["This field cannot be blank."]}
    assert ScenarioTestCase.objects.count() == 0
