import time

import pytest

from scenarios.models import IdentifierModel


@pytest.mark.celery_worker
def test_train_identifier_model__requested__trained_by_real_worker(celery_worker_process, small_training_set):
    from scenarios.services.identifier import identifier_model_request_training

    # when training is requested (enqueued once the transaction commits)
    model = identifier_model_request_training(actor=None)

    # then a real worker picks it up through the broker and stores a ready version
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        model = IdentifierModel.objects.defer("artifact").get(pk=model.pk)
        if model.status in {"ready", "failed"}:
            break
        time.sleep(0.3)
    assert (model.status, model.progress, model.error) == ("ready", 100, "")
    assert model.n_examples == len(small_training_set)
