"""Evaluate the embedded identifier on labelled rows: train on one set only, predict another."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from .classifier import IdentifierSettings, fit_identifier

OUT_OF_SCOPE_CLASS = "<out_of_scope>"


def read_labelled_csv(path: str | Path, *, text_column: str = "text", label_column: str = "label"):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {text_column, label_column} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: no column {', '.join(sorted(missing))} (columns: {reader.fieldnames})")
        return [
            (row[text_column].strip(), row[label_column].strip())
            for row in reader
            if row[text_column] and row[text_column].strip()
        ]


def _macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    classes = sorted(set(gold) | set(predicted))
    scores = []
    for c in classes:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == c and p == c)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != c and p == c)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == c and p != c)
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 0.0


def score_predictions(gold: Sequence[str], predicted: Sequence[str]) -> dict:
    """Metrics over gold/predicted labels where OUT_OF_SCOPE_CLASS marks out of scope.

    accuracy counts an out-of-scope row right when predicted out of scope; macro_f1 averages F1 over
    every class present in gold or predictions, out of scope being one class."""
    pairs = list(zip(gold, predicted, strict=True))
    in_scope = [(g, p) for g, p in pairs if g != OUT_OF_SCOPE_CLASS]
    oos = [(g, p) for g, p in pairs if g == OUT_OF_SCOPE_CLASS]

    def share(rows: Iterable[tuple[str, str]]) -> float | None:
        rows = list(rows)
        return round(sum(1 for g, p in rows if g == p) / len(rows), 4) if rows else None

    return {
        "accuracy": share(pairs),
        "in_scope_accuracy": share(in_scope),
        "out_of_scope_recall": share(oos),
        "macro_f1": round(_macro_f1(gold, predicted), 4),
        "n": len(pairs),
        "n_out_of_scope": len(oos),
    }


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> dict:
    labels = sorted(set(gold) | set(predicted))
    counts = Counter(zip(gold, predicted, strict=True))
    return {"labels": labels, "matrix": [[counts[(g, p)] for p in labels] for g in labels]}


def evaluate_identification(
    train: Sequence[tuple[str, str]],
    test: Sequence[tuple[str, str]],
    *,
    out_of_scope_label: str | None = None,
    settings: IdentifierSettings | None = None,
) -> dict:
    """Fit a fresh identifier on `train` only (rows with the out-of-scope label dropped) and score
    it on `test`. Test labels never seen in training stay as they are: they cannot be right."""
    train_rows = [(t, label) for t, label in train if label != out_of_scope_label]
    identifier = fit_identifier([t for t, _ in train_rows], [label for _, label in train_rows], settings)
    predictions = identifier.predict([t for t, _ in test])
    gold = [OUT_OF_SCOPE_CLASS if label == out_of_scope_label else label for _, label in test]
    predicted = [p.label if p.label is not None else OUT_OF_SCOPE_CLASS for p in predictions]
    metrics = score_predictions(gold, predicted)
    known = set(identifier.labels)
    metrics["n_train"] = len(train_rows)
    metrics["unseen_test_labels"] = sorted({g for g in gold if g != OUT_OF_SCOPE_CLASS and g not in known})
    metrics["model"] = identifier.report
    metrics["decisions"] = dict(Counter(p.decision for p in predictions))
    return metrics
