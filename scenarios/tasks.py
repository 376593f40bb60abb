from celery import shared_task

from scenarios.services.identifier import identifier_model_train


@shared_task(acks_late=True)
def train_identifier_model(model_id: int) -> None:
    identifier_model_train(model_id=model_id)


@shared_task(acks_late=True)
def run_scenario_tests(run_id: int) -> None:
    from scenarios.services.scenario_tests import scenario_test_run_execute

    scenario_test_run_execute(run_id=run_id)
