import json

from django.core.management.base import BaseCommand, CommandError

from scenarios.identification.evaluation import evaluate_identification, read_labelled_csv

METRICS = ["accuracy", "in_scope_accuracy", "out_of_scope_recall", "macro_f1", "n"]


class Command(BaseCommand):
    help = (
        "Train a fresh embedded identifier on TRAIN only (the product's code) and score it on TEST: "
        "accuracy, in_scope_accuracy, out_of_scope_recall, macro_f1, n."
    )

    def add_arguments(self, parser):
        parser.add_argument("--train", required=True, help="CSV of labelled training rows.")
        parser.add_argument("--test", required=True, help="CSV of labelled test rows.")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="label")
        parser.add_argument(
            "--out-of-scope-label",
            default=None,
            help="Label marking out-of-scope rows (dropped from TRAIN; right in TEST when rejected).",
        )
        parser.add_argument("--json", action="store_true", help="Print every figure as one JSON object.")

    def handle(self, *args, **options):
        columns = {"text_column": options["text_column"], "label_column": options["label_column"]}
        try:
            train = read_labelled_csv(options["train"], **columns)
            test = read_labelled_csv(options["test"], **columns)
            metrics = evaluate_identification(train, test, out_of_scope_label=options["out_of_scope_label"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(metrics, sort_keys=True))
            return
        for name in METRICS:
            value = metrics[name]
            self.stdout.write(f"{name:<20} {value if value is not None else '-'}")
