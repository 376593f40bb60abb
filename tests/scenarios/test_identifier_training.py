import pytest

from config.errors import Conflict
from scenarios.identification.embedded import clear_cache
from scenarios.models import IdentifierModel
from scenarios.selectors import embedded_identifier
from scenarios.services.identifier import (
    identifier_model_create_queued,
    identifier_model_request_training,
    identifier_model_train,
)


def test_identifier_model_request_training__idle__queues_version_and_enqueues_after_commit(
    small_training_set, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        model = identifier_model_request_training(actor=None)

    assert (model.version, model.status, model.progress) == (1, "queued", 0)
    assert len(callbacks) == 1


def test_identifier_model_request_training__already_queued__conflict_and_nothing_added(small_training_set):
    identifier_model_create_queued(actor=None)

    with pytest.raises(Conflict) as raised:
        identifier_model_request_training(actor=None)

    assert raised.value.code == "training_in_progress"
    assert list(IdentifierModel.objects.values_list("version", "status")) == [(1, "queued")]


def test_identifier_model_train__queued__ready_with_metrics_and_loadable_artifact(small_training_set):
    queued = identifier_model_create_queued(actor=None)
    clear_cache()

    model = identifier_model_train(model_id=queued.pk)

    assert (model.status, model.progress, model.stage) == ("ready", 100, "ready")
    assert model.n_examples == len(small_training_set)
    assert model.labels == sorted({label for _, label in small_training_set})
    assert set(model.metrics) >= {"cv_balanced_accuracy", "threshold", "holdout_accuracy", "confusion"}
    assert model.metrics["confusion"]["labels"][0] in [*model.labels, "<out_of_scope>"]
    served, identifier = embedded_identifier()
    assert served.pk == model.pk
    assert identifier.predict(["my parcel never arrived"])[0].candidates[0][0] == "package-not-received"
    clear_cache()


def test_identifier_model_train__redelivered_message__does_nothing(trained_identifier):
    before = IdentifierModel.objects.values("status", "trained_at", "metrics").get(pk=trained_identifier.pk)

    again = identifier_model_train(model_id=trained_identifier.pk)

    assert again.status == "ready"
    assert (
        IdentifierModel.objects.values("status", "trained_at", "metrics").get(pk=trained_identifier.pk)
        == before
    )


def test_identifier_model_train__one_scenario_only__failed_with_reason(scenario_catalogue):
    from scenarios.services.examples import training_examples_import

    training_examples_import(actor=None, rows=[("cancel it", "c")], mapping={"c": "cancel-order"})
    queued = identifier_model_create_queued(actor=None)

    model = identifier_model_train(model_id=queued.pk)

    assert model.status == "failed"
    assert model.error == "ValueError: At least two active scenarios need training examples."
    assert model.artifact is None
