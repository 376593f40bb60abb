"""Demo content of the scenarios app: the seeded scenarios, their training examples (the Bitext
public set mapped to scenarios, plus our own) and a first trained identifier. Idempotent."""

from __future__ import annotations

import csv
from pathlib import Path

from scenarios.identification.evaluation import read_labelled_csv
from scenarios.models import IdentifierModel, TrainingExample
from scenarios.services.catalogue import scenario_upsert
from scenarios.services.examples import training_examples_import
from scenarios.services.identifier import identifier_model_train
from scenarios.services.llm import model_configuration_ensure_default

DATA = Path(__file__).resolve().parent / "data"

SCENARIOS = [
    ("cancel-order", "Cancel an order", "Cancel an order that has not shipped yet (pending)."),
    (
        "modify-order",
        "Modify a pending order",
        "Change a pending order before it ships: its shipping address, payment method or items "
        "(size, colour).",
    ),
    (
        "return-delivered-items",
        "Return delivered items",
        "Send back items of a delivered order for a refund (changed mind, does not fit, not wanted).",
    ),
    (
        "exchange-delivered-items",
        "Exchange delivered items",
        "Swap items of a delivered order for another size, colour or variant of the same product.",
    ),
    (
        "change-default-address",
        "Change the default address",
        "Update the address saved on the customer's account for future orders (not a pending order's).",
    ),
    ("order-status", "Order status", "Where an order is, whether it shipped, when it will arrive."),
    (
        "package-not-received",
        "Package not received",
        "The parcel never arrived, is lost, or is marked delivered but the customer does not have it.",
    ),
    (
        "damaged-item",
        "Damaged item",
        "An item arrived broken, cracked, dented, leaking or otherwise damaged.",
    ),
    (
        "wrong-item",
        "Wrong item",
        "The customer received a different product, size or colour than they ordered.",
    ),
    (
        "refund-status",
        "Refund status",
        "Where a refund is: when the money of a return or cancellation comes back.",
    ),
    ("human-handoff", "Talk to a person", "The customer asks for a human agent or customer service."),
    (
        "late-delivery-compensation",
        "Late delivery compensation",
        "The order arrived late or missed its promised date and the customer asks for compensation.",
    ),
]


def _bitext_mapping() -> dict[str, str]:
    with open(DATA / "bitext" / "mapping.csv", newline="") as handle:
        return {row["intent"]: row["scenario"] for row in csv.DictReader(handle)}


def scenarios_seed_demo(*, actor, train: bool = True) -> dict:
    for key, name, description in SCENARIOS:
        scenario_upsert(actor=actor, key=key, name=name, description=description)
    bitext = training_examples_import(
        actor=actor,
        rows=read_labelled_csv(DATA / "bitext" / "train.csv", label_column="intent"),
        mapping=_bitext_mapping(),
        source=TrainingExample.Source.BITEXT,
    )
    own_rows = read_labelled_csv(DATA / "own" / "examples.csv", label_column="scenario")
    own = training_examples_import(
        actor=actor,
        rows=own_rows,
        mapping={key: key for key, _, _ in SCENARIOS},
        source=TrainingExample.Source.OWN,
    )
    model_configuration_ensure_default(actor=actor)
    model = IdentifierModel.objects.filter(status=IdentifierModel.Status.READY).defer("artifact").first()
    if train and (model is None or bitext.created or own.created):
        # Synchronous here: the demo must answer /identify/ as soon as it is loaded.
        from scenarios.services.identifier import identifier_model_create_queued

        model = identifier_model_train(model_id=identifier_model_create_queued(actor=actor).pk)
    return {"bitext_created": bitext.created, "own_created": own.created, "model": model}
