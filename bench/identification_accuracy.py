"""Identification accuracy in the target setting, simulated on the data we have.

The target: small training sets (300-600 short messages over 20-30 labels) and test sets where
35-55% of the rows are out of scope, i.e. of labels never seen in training. We simulate it by
drawing, per trial, which labels are "the store's" and holding every other label out whole.

  store-bitext   27 Bitext intents; 20 in scope, 7 held out as out of scope.
  store-mixed    27 Bitext intents + 6 of our own scenarios; 22 in scope, 11 held out.
  cross-source   train on the product's mapped examples (12 scenarios, 300-600 sampled rows),
                 test on scenarios/data/eval/handwritten_test.csv (written separately, ~38% OOS).

Trials use fixed seeds; nothing here was used to choose the identifier's settings (those were
chosen by the leave-labels-out score the model computes on its own training set). Run:
    python bench/identification_accuracy.py [--trials 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scenarios.identification.classifier import IdentifierSettings  # noqa: E402
from scenarios.identification.evaluation import evaluate_identification, read_labelled_csv  # noqa: E402

DATA = ROOT / "scenarios" / "data"
# The targets are 0.70 and 0.75 on two real stores; every setup here is held to the stricter.
FLOOR = 0.75
OOS = "__oos__"


def _pool(include_own: bool) -> dict[str, list[str]]:
    by_label = defaultdict(list)
    for text, label in read_labelled_csv(DATA / "bitext" / "train.csv", label_column="intent"):
        by_label[label].append(text)
    if include_own:
        for text, label in read_labelled_csv(DATA / "own" / "examples.csv", label_column="scenario"):
            by_label[label].append(text)
    return by_label


def _store_trial(by_label, n_in: int, rng: random.Random):
    labels = sorted(by_label)
    in_scope = set(rng.sample(labels, n_in))
    total = rng.randint(300, 600)
    per_label = max(8, total // n_in)
    oos_share = rng.uniform(0.35, 0.55)
    train, test_in, oos_pool = [], [], []
    for label in labels:
        rows = by_label[label][:]
        rng.shuffle(rows)
        if label in in_scope:
            train += [(t, label) for t in rows[:per_label]]
            test_in += [(t, label) for t in rows[per_label : per_label + 12]]
        else:
            oos_pool += [(t, OOS) for t in rows]
    n_oos = round(len(test_in) * oos_share / (1 - oos_share))
    test = test_in + rng.sample(oos_pool, min(n_oos, len(oos_pool)))
    return train, test


def _cross_source_trial(rng: random.Random):
    mapping = dict(
        read_labelled_csv(DATA / "bitext" / "mapping.csv", text_column="intent", label_column="scenario")
    )
    rows = [
        (t, mapping[intent])
        for t, intent in read_labelled_csv(DATA / "bitext" / "train.csv", label_column="intent")
        if intent in mapping
    ]
    rows += read_labelled_csv(DATA / "own" / "examples.csv", label_column="scenario")
    train = rng.sample(rows, rng.randint(300, 600))
    test = [
        (t, OOS if label == "out_of_scope" else label)
        for t, label in read_labelled_csv(DATA / "eval" / "handwritten_test.csv")
    ]
    return train, test


def run(trials: int, settings: IdentifierSettings | None = None, seed0: int = 1000) -> dict:
    results = {}
    setups = {
        "store-bitext": lambda rng: _store_trial(_pool(False), 20, rng),
        "store-mixed": lambda rng: _store_trial(_pool(True), 22, rng),
        "cross-source": _cross_source_trial,
    }
    for name, make in setups.items():
        runs = []
        for trial in range(trials):
            rng = random.Random(seed0 + trial)
            train, test = make(rng)
            started = time.perf_counter()
            metrics = evaluate_identification(train, test, out_of_scope_label=OOS, settings=settings)
            metrics["seconds"] = time.perf_counter() - started
            metrics["oos_share"] = metrics["n_out_of_scope"] / metrics["n"]
            runs.append(metrics)
        summary = {}
        for key in [
            "accuracy",
            "in_scope_accuracy",
            "out_of_scope_recall",
            "macro_f1",
            "n_train",
            "n",
            "oos_share",
            "seconds",
        ]:
            values = [r[key] for r in runs]
            summary[key] = {"mean": statistics.mean(values), "min": min(values), "max": max(values)}
        results[name] = summary
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.trials)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, summary in results.items():
        acc = summary["accuracy"]
        print(
            f"{name:<13} accuracy {acc['mean']:.3f} (min {acc['min']:.3f}, max {acc['max']:.3f})"
            f"  in-scope {summary['in_scope_accuracy']['mean']:.3f}"
            f"  oos-recall {summary['out_of_scope_recall']['mean']:.3f}"
            f"  macro-F1 {summary['macro_f1']['mean']:.3f}"
            f"  train {summary['n_train']['mean']:.0f} rows, test {summary['n']['mean']:.0f} rows"
            f" ({summary['oos_share']['mean']:.0%} OOS), {summary['seconds']['mean']:.1f} s/trial"
            + f"  floor {FLOOR:.2f} (mean) {'PASS' if acc['mean'] >= FLOOR else 'BELOW'}"
        )


if __name__ == "__main__":
    main()
