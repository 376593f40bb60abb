from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from config.errors import ValidationFailed
from scenarios.models import Scenario, TrainingExample

MAX_TEXT = 1000


@dataclass
class ImportResult:
    created: int
    duplicates: int
    unmapped: int
    skipped_labels: list[str]


@transaction.atomic
def training_example_create(
    *,
    actor,
    text: str,
    scenario: Scenario,
    language: str = "en",
    region=None,
    source=TrainingExample.Source.ADMIN,
) -> TrainingExample:
    example = TrainingExample(
        text=text.strip(), scenario=scenario, language=language, region=region, source=source
    )
    example.full_clean()
    example.save()
    return example


@transaction.atomic
def training_examples_import(
    *,
    actor,
    rows: Iterable[tuple[str, str]],
    mapping: dict[str, str],
    language: str = "en",
    region=None,
    source: str = TrainingExample.Source.CSV,
) -> ImportResult:
    """Import (text, label) rows, the label translated by `mapping` (label → scenario key; a label
    without a mapping is skipped). Idempotent: a text already there for the scenario is not added."""
    keys = set(mapping.values())
    scenarios = {s.key: s for s in Scenario.objects.filter(key__in=keys)}
    unknown = sorted(keys - set(scenarios))
    if unknown:
        raise ValidationFailed(
            f"Unknown scenarios in the mapping: {', '.join(unknown)}.", code="unknown_scenario"
        )
    seen: set[tuple[str, str]] = set()
    pending, unmapped, skipped = [], 0, set()
    for text, label in rows:
        key = mapping.get(label)
        text = " ".join((text or "").split())[:MAX_TEXT]
        if not key:
            unmapped += 1
            skipped.add(label)
            continue
        if not text or (key, text) in seen:
            continue
        seen.add((key, text))
        example = TrainingExample(
            text=text, scenario=scenarios[key], language=language, region=region, source=source
        )
        # Uniqueness is left to the constraint below (one query per row would make big imports slow).
        example.full_clean(validate_unique=False, validate_constraints=False)
        pending.append(example)
    existing = set(
        TrainingExample.objects.filter(scenario__key__in=keys, language=language).values_list(
            "scenario__key", "text"
        )
    )
    fresh = [e for e in pending if (e.scenario.key, e.text) not in existing]
    TrainingExample.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)
    return ImportResult(
        created=len(fresh),
        duplicates=len(pending) - len(fresh),
        unmapped=unmapped,
        skipped_labels=sorted(skipped),
    )
