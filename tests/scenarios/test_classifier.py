import pytest

from scenarios.identification.classifier import IdentifierSettings, fit_identifier
from scenarios.identification.evaluation import (
    OUT_OF_SCOPE_CLASS,
    evaluate_identification,
    score_predictions,
)

ROWS = [
    *[
        (t, "cancel")
        for t in [
            "cancel my order",
            "please cancel the order",
            "i want to cancel",
            "cancel purchase",
            "stop my order",
            "cancel it now",
            "cancel order 123",
            "can you cancel my order",
        ]
    ],
    *[
        (t, "track")
        for t in [
            "where is my package",
            "track my order",
            "where is my parcel",
            "when will it arrive",
            "tracking my order",
            "order tracking please",
            "where's my stuff",
            "track package",
        ]
    ],
    *[
        (t, "refund")
        for t in [
            "where is my refund",
            "refund status",
            "when do i get my money back",
            "has my refund been processed",
            "refund not received",
            "check my refund",
            "my refund is late",
            "refund update",
        ]
    ],
    *[
        (t, "address")
        for t in [
            "change my address",
            "update my address",
            "new shipping address",
            "edit address",
            "my address changed",
            "set a new address",
            "modify my address",
            "address update",
        ]
    ],
]
FAST = IdentifierSettings(cv_rounds=3)


def test_fit_identifier__known_phrasing__matches_its_label():
    # given
    identifier = fit_identifier([t for t, _ in ROWS], [label for _, label in ROWS], FAST)
    # when
    prediction = identifier.predict(["could you cancel my order please"])[0]
    # then
    assert prediction.label == "cancel"
    assert prediction.decision in {"matched", "clarify"}
    assert prediction.candidates[0][0] == "cancel"
    assert prediction.candidates[0][1] == prediction.confidence
    assert identifier.labels == ["address", "cancel", "refund", "track"]


def test_fit_identifier__unrelated_message__is_out_of_scope():
    identifier = fit_identifier([t for t, _ in ROWS], [label for _, label in ROWS], FAST)

    prediction = identifier.predict(["xyzzy qwv plugh"])[0]

    assert prediction.label is None
    assert prediction.decision == "out_of_scope"


def test_fit_identifier__one_label__refuses():
    with pytest.raises(ValueError, match="at least two labels"):
        fit_identifier(["a", "b"], ["x", "x"])


def test_score_predictions__mixed_rows__exact_metrics():
    gold = ["a", "a", "b", OUT_OF_SCOPE_CLASS, OUT_OF_SCOPE_CLASS]
    predicted = ["a", "b", "b", OUT_OF_SCOPE_CLASS, "a"]

    metrics = score_predictions(gold, predicted)

    assert metrics == {
        "accuracy": 0.6,
        "in_scope_accuracy": 0.6667,
        "out_of_scope_recall": 0.5,
        # F1: a = 2/(2+1+1) = 0.5, b = 2/(2+1+0) = 0.6667, out of scope = 2/(2+0+1) = 0.6667
        "macro_f1": 0.6111,
        "n": 5,
        "n_out_of_scope": 2,
    }


def test_evaluate_identification__oos_label_in_train__never_trained_on():
    train = [*ROWS, ("hello there", "OOS"), ("nice weather", "OOS")]
    test = [("cancel my order", "cancel"), ("tell me a joke", "OOS")]

    metrics = evaluate_identification(train, test, out_of_scope_label="OOS", settings=FAST)

    assert metrics["n_train"] == len(ROWS)
    assert metrics["model"]["n_labels"] == 4
    assert metrics["n"] == 2
    assert metrics["unseen_test_labels"] == []
