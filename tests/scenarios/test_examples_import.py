import pytest

from config.errors import ValidationFailed
from scenarios.models import TrainingExample
from scenarios.services.examples import training_examples_import


def test_training_examples_import__mapping__unmapped_skipped_duplicates_once(scenario_catalogue):
    rows = [
        ("cancel my order", "cancel_order"),
        ("cancel   my order", "cancel_order"),
        ("sign me up", "newsletter"),
        ("where is it", "track_order"),
    ]

    result = training_examples_import(
        actor=None, rows=rows, mapping={"cancel_order": "cancel-order", "track_order": "order-status"}
    )

    assert (result.created, result.duplicates, result.unmapped, result.skipped_labels) == (
        2,
        0,
        1,
        ["newsletter"],
    )
    assert sorted(TrainingExample.objects.values_list("scenario__key", "text", "source")) == [
        ("cancel-order", "cancel my order", "csv"),
        ("order-status", "where is it", "csv"),
    ]


def test_training_examples_import__twice__idempotent(scenario_catalogue):
    rows = [("cancel my order", "c")]
    training_examples_import(actor=None, rows=rows, mapping={"c": "cancel-order"})

    result = training_examples_import(actor=None, rows=rows, mapping={"c": "cancel-order"})

    assert (result.created, result.duplicates) == (0, 1)
    assert TrainingExample.objects.count() == 1


def test_training_examples_import__unknown_scenario__refused_nothing_added(scenario_catalogue):
    with pytest.raises(ValidationFailed) as raised:
        training_examples_import(actor=None, rows=[("x", "a")], mapping={"a": "no-such-scenario"})

    assert raised.value.code == "unknown_scenario"
    assert TrainingExample.objects.count() == 0


def test_scenarios_seed_demo__twice__same_rows(regions):
    from scenarios.demo import SCENARIOS, scenarios_seed_demo

    first = scenarios_seed_demo(actor=None, train=False)
    count = TrainingExample.objects.count()
    second = scenarios_seed_demo(actor=None, train=False)

    assert first["bitext_created"] + first["own_created"] == count
    assert (second["bitext_created"], second["own_created"]) == (0, 0)
    assert TrainingExample.objects.count() == count
    assert TrainingExample.objects.values("scenario").distinct().count() == len(SCENARIOS)
