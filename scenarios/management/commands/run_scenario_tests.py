import json
import sys

from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from scenarios.services.scenario_tests import (
    scenario_test_run_create,
    scenario_test_run_execute,
    scenario_test_versions,
)


class Command(BaseCommand):
    help = (
        "Run the scenario tests (each case rolled back: the marketplace is left unchanged) and store "
        "the results. Exit code 1 when any case fails."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version N is the scenario version here, replacing Django's --version (the Django release).
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--scenario", help="Only this scenario key (default: every scenario with cases).")
        parser.add_argument(
            "--version", type=int, help="This version number of --scenario (default: newest released)."
        )
        parser.add_argument(
            "--case", action="append", default=[], help="Only the case of this name (repeatable)."
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if options["version"] is not None and not options["scenario"]:
            raise CommandError("--version needs --scenario.")
        try:
            versions = scenario_test_versions(scenario_key=options["scenario"], number=options["version"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        runs = []
        for version in versions:
            run = scenario_test_run_create(actor=None, version=version, case_names=options["case"])
            runs.append(scenario_test_run_execute(run_id=run.pk))
        report = [
            {
                "run": run.pk,
                "scenario": run.scenario_version.scenario.key,
                "version": run.scenario_version.number,
                "status": run.status,
                "total": run.total,
                "passed": run.passed,
                "failed": run.failed,
                "errors": run.errors,
                "error": run.error,
                "failures": [
                    {"case": r.case.name, "error": r.error, "failures": r.failures}
                    for r in run.results.select_related("case").filter(passed=False)
                ],
            }
            for run in runs
        ]
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=True, default=str))
        else:
            for row in report:
                self.stdout.write(
                    f"{row['scenario']} v{row['version']}: {row['status']} "
                    f"({row['passed']}/{row['total']} passed){' ' + row['error'] if row['error'] else ''}"
                )
                for case in row["failures"]:
                    self.stdout.write(f"  FAIL {case['case']}{': ' + case['error'] if case['error'] else ''}")
                    for failure in case["failures"]:
                        self.stdout.write(
                            f"    {failure['where']}: {failure['assertion']}: expected "
                            f"{failure['expected']!r}, actual {failure['actual']!r}"
                        )
        if any(run.status != run.Status.PASSED for run in runs):
            sys.exit(1)
