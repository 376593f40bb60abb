from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.scenarios.llm_server import ScriptedLLM

OWN_CSV_SAMPLE = 12  # per scenario: enough to learn, small enough to keep training under a second


@pytest.fixture
def migrate():
    """``migrate(target)`` runs the migrations to ``target`` and returns that state's apps; afterwards
    the schema goes back to the newest migrations, which every other test expects."""

    def to(target):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(target)
        return executor.loader.project_state(target).apps

    yield to
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def scripted_llm():
    server = ScriptedLLM().start()
    yield server
    server.stop()


@pytest.fixture
def llm_configuration(db, scripted_llm):
    from scenarios.models import ModelConfiguration

    return ModelConfiguration.objects.create(
        name="scripted",
        kind=ModelConfiguration.Kind.LOCAL,
        base_url=scripted_llm.base_url,
        model_name="scripted-model",
        timeout_seconds=0.5,
        max_attempts=2,
        price_per_input_token="0.000001",
        price_per_output_token="0.000002",
        is_default=True,
    )


@pytest.fixture
def scenario_catalogue(regions):
    """The demo scenarios, no examples yet."""
    from scenarios.demo import SCENARIOS
    from scenarios.services.catalogue import scenario_upsert

    return {key: scenario_upsert(actor=None, key=key, name=name, description=d) for key, name, d in SCENARIOS}


@pytest.fixture
def small_training_set(scenario_catalogue):
    """A few own examples per scenario for five scenarios (the rest have none)."""
    from scenarios.demo import DATA
    from scenarios.identification.evaluation import read_labelled_csv
    from scenarios.services.examples import training_examples_import

    rows = read_labelled_csv(DATA / "own" / "examples.csv", label_column="scenario")
    per: dict[str, list] = {}
    for text, label in rows:
        per.setdefault(label, [])
        if len(per[label]) < OWN_CSV_SAMPLE:
            per[label].append((text, label))
    picked = [row for group in per.values() for row in group]
    training_examples_import(actor=None, rows=picked, mapping={k: k for k in per}, source="own")
    return picked


@pytest.fixture
def trained_identifier(small_training_set):
    from scenarios.identification.embedded import clear_cache
    from scenarios.services.identifier import identifier_model_create_queued, identifier_model_train

    clear_cache()
    model = identifier_model_train(model_id=identifier_model_create_queued(actor=None).pk)
    yield model
    clear_cache()


@pytest.fixture
def chatbot_key(regions):
    from aftersales.models import ApiClient

    client, key = ApiClient.objects.create_key(name="chatbot")
    client.regions.set([regions["US"], regions["GB"]])
    return SimpleNamespace(client=client, auth={"HTTP_AUTHORIZATION": f"Api-Key {key}"})
