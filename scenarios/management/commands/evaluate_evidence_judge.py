import json
from functools import partial

from django.core.management.base import BaseCommand, CommandError

from scenarios.evidence.evaluation import CASES, evaluate_judge, load_cases
from scenarios.evidence.judge import judge
from scenarios.evidence.llm_judge import judge_llm
from scenarios.selectors import default_model_configuration


class Command(BaseCommand):
    help = (
        "Score an evidence judge on the labelled evidence set (accuracy, F1 per verdict, false 'sufficient')."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", default=str(CASES))
        parser.add_argument("--judge", choices=["embedded", "llm"], default="embedded")
        parser.add_argument("--limit", type=int, default=0, help="Only the first N cases (LLM runs cost).")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            cases = load_cases(options["cases"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if options["limit"]:
            cases = cases[: options["limit"]]
        judge_fn = judge
        if options["judge"] == "llm":
            configuration = default_model_configuration()
            if configuration is None:
                raise CommandError("No default model configuration: set LLM_BASE_URL and LLM_MODEL.")
            judge_fn = partial(judge_llm, configuration=configuration)
        metrics = evaluate_judge(cases, judge_fn)
        metrics["judge"] = options["judge"]
        if options["json"]:
            self.stdout.write(json.dumps(metrics, sort_keys=True))
            return
        for name in [
            "judge",
            "n",
            "accuracy",
            "macro_f1",
            "f1",
            "accuracy_by_claim_type",
            "false_sufficient",
        ]:
            self.stdout.write(f"{name:<24} {metrics[name]}")
