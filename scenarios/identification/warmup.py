"""Warming the identification encoder when a server process starts.

A fresh process loads the encoder on its first identification: onnxruntime and tokenizers
imported, the cached graph opened (~0.3 s), or the graph built into VAR_DIR/encoders when it is
not cached yet (1-2 s). The gunicorn workers (config/gunicorn.conf.py, post_worker_init) and the
Celery worker processes (config/celery.py, worker_process_init) call warm_up() once they have
forked, so that cost is paid before the first customer message, not by it. Never at import time:
the test process and management commands load the encoder only when they use it.
"""

from __future__ import annotations

import time

import structlog

logger = structlog.get_logger(__name__)


def _load_default_encoder() -> None:
    """Load the default encoder and its tokenizer in this process (cached per process by the
    encoder module, so a second call loads nothing) and encode one short message."""
    from .encoder import MINILM_INT8, encode

    encode(["where is my parcel"], MINILM_INT8)


def warm_up() -> bool:
    """True when the default encoder is loaded in this process. False when REDRESS_WARM_ENCODER is
    off, or when it could not be loaded: that is logged and the process starts anyway (its first
    identification then loads the encoder, or fails, as it would have without the warm-up)."""
    try:
        from django.conf import settings

        if not settings.REDRESS_WARM_ENCODER:
            return False
        started = time.perf_counter()
        _load_default_encoder()
    except Exception as error:
        logger.warning("identification_encoder_warm_up_failed", error=f"{type(error).__name__}: {error}")
        return False
    logger.info("identification_encoder_warmed", seconds=round(time.perf_counter() - started, 3))
    return True
