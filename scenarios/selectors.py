"""Reads of the scenarios app, shared by the admin, the API and the services."""

from __future__ import annotations

from django.db.models import Q

from config.errors import NotFound
from scenarios.identification.classifier import Identifier
from scenarios.identification.embedded import cached_identifier
from scenarios.models import IdentifierModel, ModelConfiguration, Scenario, TrainingExample


def scenarios_for_region(region_code: str):
    """Active scenarios offered in the region (a scenario without regions is offered everywhere)."""
    return (
        Scenario.objects.filter(is_active=True)
        .filter(Q(regions__code=region_code) | Q(regions__isnull=True))
        .distinct()
        .order_by("key")
    )


def training_rows() -> tuple[list[str], list[str]]:
    rows = (
        TrainingExample.objects.filter(scenario__is_active=True)
        .values_list("text", "scenario__key")
        .order_by("id")
    )
    return [t for t, _ in rows], [k for _, k in rows]


def latest_ready_identifier_model() -> IdentifierModel | None:
    return (
        IdentifierModel.objects.defer("artifact")
        .filter(status=IdentifierModel.Status.READY)
        .order_by("-version")
        .first()
    )


def embedded_identifier() -> tuple[IdentifierModel, Identifier]:
    """The newest ready identifier, unpickled once per process. NotFound when none is trained."""
    model = latest_ready_identifier_model()
    if model is None:
        raise NotFound("No identifier model has been trained yet.", code="no_identifier_model")

    def load() -> bytes:
        return IdentifierModel.objects.values_list("artifact", flat=True).get(pk=model.pk)

    return model, cached_identifier(model.pk, load)


def default_model_configuration() -> ModelConfiguration | None:
    return ModelConfiguration.objects.filter(is_default=True).first()


def examples_for_prompt(scenario_keys, per_scenario: int = 3) -> dict[str, list[str]]:
    """A few short examples per scenario for the LLM identifier's prompt (shortest first: cheap tokens)."""
    out: dict[str, list[str]] = {key: [] for key in scenario_keys}
    rows = (
        TrainingExample.objects.filter(scenario__key__in=list(scenario_keys))
        .values_list("scenario__key", "text")
        .order_by("scenario__key", "id")
    )
    for key, text in rows[: 200 * max(1, len(out))]:
        if len(out[key]) < per_scenario * 4:
            out[key].append(text)
    return {key: sorted(texts, key=len)[:per_scenario] for key, texts in out.items()}
