"""The shipped scenario test cases (data/scenario_tests/<scenario key>.json), loaded into the demo.
Idempotent: an unchanged case is left alone, a changed file updates its cases."""

from __future__ import annotations

import json
from pathlib import Path

from scenarios.models import Scenario
from scenarios.services.scenario_tests import scenario_test_cases_import

CASES = Path(__file__).resolve().parent / "data" / "scenario_tests"


def shipped_case_documents() -> dict[str, dict]:
    """Scenario key → its file of cases."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(CASES.glob("*.json"))}


def scenario_tests_seed_demo(*, actor) -> dict[str, int]:
    """Import the cases of every seeded scenario (a file whose scenario is missing is skipped)."""
    known = set(Scenario.objects.values_list("key", flat=True))
    cases = [
        {"scenario": key, **case}
        for key, document in shipped_case_documents().items()
        if key in known
        for case in document["cases"]
    ]
    return scenario_test_cases_import(actor=actor, document={"cases": cases})
