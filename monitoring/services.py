from django.db import transaction
from django.utils import timezone

from monitoring.models import WorkerProbe


@transaction.atomic
def worker_probe_request(*, actor=None) -> WorkerProbe:
    from monitoring.tasks import answer_worker_probe

    probe = WorkerProbe(requested_by=actor)
    probe.full_clean()
    probe.save()
    answer_worker_probe.delay_on_commit(probe.pk)
    return probe


def worker_probe_answer(*, probe_id: int, worker: str) -> bool:
    """Answer once: a redelivered message (acks_late after a crash) finds it answered and does nothing."""
    updated = WorkerProbe.objects.filter(pk=probe_id, status=WorkerProbe.Status.PENDING).update(
        status=WorkerProbe.Status.ANSWERED, answered_at=timezone.now(), worker=worker[:255]
    )
    return updated == 1
