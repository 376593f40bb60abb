import time

import pytest

from monitoring.models import WorkerProbe
from monitoring.services import worker_probe_answer, worker_probe_request


@pytest.mark.celery_worker
def test_worker_probe__enqueued_on_commit__answered_by_real_worker(celery_worker_process):
    # given a real worker consuming the configured broker
    # when a probe is requested (the task is enqueued only once the transaction commits)
    probe = worker_probe_request()

    # then the worker answers it through the broker
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        probe.refresh_from_db()
        if probe.status == WorkerProbe.Status.ANSWERED:
            break
        time.sleep(0.2)
    assert probe.status == WorkerProbe.Status.ANSWERED
    assert probe.worker.startswith("test-worker-")
    assert probe.answered_at >= probe.requested_at


def test_worker_probe__rolled_back_request__nothing_enqueued(db, django_capture_on_commit_callbacks):
    # given a request inside a transaction that is rolled back
    with django_capture_on_commit_callbacks() as callbacks:
        probe = worker_probe_request()
    # then exactly one enqueue is deferred to commit (none happens inside the transaction)
    assert len(callbacks) == 1
    assert WorkerProbe.objects.get().status == WorkerProbe.Status.PENDING
    assert probe.answered_at is None


def test_worker_probe_answer__redelivered__answers_once(db):
    # given an answered probe
    probe = worker_probe_request()
    assert worker_probe_answer(probe_id=probe.pk, worker="w1@host") is True

    # when the same message is delivered again (acks_late after a crash)
    again = worker_probe_answer(probe_id=probe.pk, worker="w2@host")

    # then nothing changes
    probe.refresh_from_db()
    assert again is False
    assert probe.worker == "w1@host"
