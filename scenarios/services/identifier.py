"""Training the embedded identifier: requested from the admin, run by a Celery worker."""

from __future__ import annotations

import random
import time
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from config.errors import Conflict
from scenarios.identification.classifier import IdentifierSettings, fit_identifier
from scenarios.identification.embedded import identifier_to_bytes
from scenarios.identification.evaluation import OUT_OF_SCOPE_CLASS, confusion, score_predictions
from scenarios.models import IdentifierModel
from scenarios.selectors import training_rows

logger = structlog.get_logger(__name__)
HOLDOUT_SHARE = 0.2


def _fail_stale() -> None:
    """A worker killed mid-training (or a message lost) must not block training forever."""
    cutoff = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    IdentifierModel.objects.filter(
        Q(status=IdentifierModel.Status.TRAINING, started_at__lt=cutoff)
        | Q(status=IdentifierModel.Status.QUEUED, created__lt=cutoff)
    ).update(
        status=IdentifierModel.Status.FAILED,
        error="Abandoned: no worker finished it in time.",
        stage="failed",
    )


def identifier_model_create_queued(*, actor) -> IdentifierModel:
    """A new version in QUEUED. At most one version is queued or training at a time."""
    for _ in range(3):  # two admins clicking at once race for the next version number
        try:
            with transaction.atomic():
                _fail_stale()
                busy = IdentifierModel.objects.filter(
                    status__in=[IdentifierModel.Status.QUEUED, IdentifierModel.Status.TRAINING]
                ).first()
                if busy is not None:
                    raise Conflict(
                        f"Version {busy.version} is already {busy.status}.", code="training_in_progress"
                    )
                version = (IdentifierModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
                model = IdentifierModel(
                    version=version, requested_by=actor if getattr(actor, "pk", None) else None
                )
                model.full_clean(exclude=["artifact"])
                model.save()
                return model
        except IntegrityError:
            continue
    raise Conflict("Could not allocate a version number, try again.", code="training_in_progress")


@transaction.atomic
def identifier_model_request_training(*, actor) -> IdentifierModel:
    """Queue a new version; a worker trains it once this transaction commits."""
    from scenarios.tasks import train_identifier_model

    model = identifier_model_create_queued(actor=actor)
    train_identifier_model.delay_on_commit(model.pk)
    return model


def _set_progress(model_id: int, percent: int, stage: str) -> None:
    IdentifierModel.objects.filter(pk=model_id, status=IdentifierModel.Status.TRAINING).update(
        progress=percent, stage=stage[:120]
    )


def _holdout_metrics(texts, labels, settings: IdentifierSettings) -> dict:
    """In-scope accuracy, macro-F1 and confusion matrix on a stratified 20% the model never saw."""
    rng = random.Random(settings.seed)  # noqa: S311 (reproducible sampling, not security)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train, test = [], []
    for rows in by_label.values():
        rng.shuffle(rows)
        cut = int(len(rows) * HOLDOUT_SHARE) if len(rows) >= 5 else 0
        test += rows[:cut]
        train += rows[cut:]
    if not test or len({labels[i] for i in train}) < 2:
        return {}
    quick = IdentifierSettings(**{**settings.__dict__, "cv_rounds": 2})
    identifier = fit_identifier([texts[i] for i in train], [labels[i] for i in train], quick)
    predictions = identifier.predict([texts[i] for i in test])
    gold = [labels[i] for i in test]
    predicted = [p.label or OUT_OF_SCOPE_CLASS for p in predictions]
    top1 = [p.candidates[0][0] for p in predictions]
    metrics = score_predictions(gold, predicted)
    return {
        "holdout_accuracy": metrics["accuracy"],
        "holdout_top1_accuracy": round(sum(g == p for g, p in zip(gold, top1, strict=True)) / len(gold), 4),
        "holdout_macro_f1": metrics["macro_f1"],
        "holdout_n": len(gold),
        "confusion": confusion(gold, predicted),
    }


def identifier_model_train(*, model_id: int, settings: IdentifierSettings | None = None) -> IdentifierModel:
    """Train a queued version. Claimed by a conditional update, so a redelivered task message
    (acks_late) finds it no longer queued and does nothing."""
    claimed = IdentifierModel.objects.filter(pk=model_id, status=IdentifierModel.Status.QUEUED).update(
        status=IdentifierModel.Status.TRAINING,
        started_at=timezone.now(),
        progress=1,
        stage="loading examples",
    )
    if not claimed:
        return IdentifierModel.objects.defer("artifact").get(pk=model_id)
    settings = settings or IdentifierSettings()
    started = time.perf_counter()
    try:
        texts, labels = training_rows()
        if len(set(labels)) < 2:
            raise ValueError("At least two active scenarios need training examples.")
        _set_progress(model_id, 3, "holdout evaluation")
        holdout = _holdout_metrics(texts, labels, settings)
        identifier = fit_identifier(
            texts,
            labels,
            settings,
            progress=lambda p, stage: _set_progress(model_id, 10 + p * 85 // 100, stage),
        )
        artifact = identifier_to_bytes(identifier)
    except Exception as exc:  # any failure must end in FAILED with its reason, never stuck in TRAINING
        logger.exception("identifier_training_failed", model_id=model_id)
        IdentifierModel.objects.filter(pk=model_id, status=IdentifierModel.Status.TRAINING).update(
            status=IdentifierModel.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], stage="failed"
        )
        return IdentifierModel.objects.defer("artifact").get(pk=model_id)
    metrics = {
        **identifier.report,
        **holdout,
        "training_seconds": round(time.perf_counter() - started, 2),
        "artifact_bytes": len(artifact),
    }
    IdentifierModel.objects.filter(pk=model_id, status=IdentifierModel.Status.TRAINING).update(
        status=IdentifierModel.Status.READY,
        artifact=artifact,
        metrics=metrics,
        labels=identifier.labels,
        n_examples=len(texts),
        trained_at=timezone.now(),
        progress=100,
        stage="ready",
    )
    return IdentifierModel.objects.defer("artifact").get(pk=model_id)
