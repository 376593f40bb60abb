from celery import shared_task

from scenarios.services.identifier import identifier_model_train


@shared_task(acks_late=True)
def train_identifier_model(model_id: int) -> None:
    identifier_model_train(model_id=model_id)
