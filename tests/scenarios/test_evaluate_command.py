import csv
import json

import pytest
from django.core.management import CommandError, call_command

from tests.scenarios.test_classifier import ROWS


def _write(path, rows, header=("text", "label")):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def test_evaluate_identification__two_csvs__prints_every_metric(tmp_path, capsys):
    train = _write(tmp_path / "train.csv", ROWS)
    test = _write(tmp_path / "test.csv", [("cancel this order", "cancel"), ("blorp zzz", "none")])

    call_command("evaluate_identification", train=train, test=test, out_of_scope_label="none")

    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "accuracy",
        "in_scope_accuracy",
        "out_of_scope_recall",
        "macro_f1",
        "n",
    ]
    assert lines[-1].split() == ["n", "2"]


def test_evaluate_identification__custom_columns_json__same_figures_twice(tmp_path, capsys):
    header = ("utterance", "intent")
    train = _write(tmp_path / "train.csv", ROWS, header)
    test = _write(tmp_path / "test.csv", [("where is my parcel now", "track"), ("hi", "oos")], header)
    args = {
        "train": train,
        "test": test,
        "text_column": "utterance",
        "label_column": "intent",
        "out_of_scope_label": "oos",
        "json": True,
    }

    call_command("evaluate_identification", **args)
    first = json.loads(capsys.readouterr().out)
    call_command("evaluate_identification", **args)
    second = json.loads(capsys.readouterr().out)

    assert first == second  # reproducible: fixed seeds end to end
    assert first["n"] == 2
    assert first["n_out_of_scope"] == 1
    assert set(first) >= {"accuracy", "in_scope_accuracy", "out_of_scope_recall", "macro_f1"}


def test_evaluate_identification__missing_column__command_error(tmp_path):
    train = _write(tmp_path / "train.csv", ROWS)
    test = _write(tmp_path / "test.csv", [("x", "y")], ("message", "label"))

    with pytest.raises(CommandError, match="no column text"):
        call_command("evaluate_identification", train=train, test=test)
