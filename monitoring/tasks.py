from celery import shared_task

from monitoring.services import worker_probe_answer


@shared_task(bind=True)
def answer_worker_probe(self, probe_id: int) -> bool:
    return worker_probe_answer(probe_id=probe_id, worker=self.request.hostname or "")
