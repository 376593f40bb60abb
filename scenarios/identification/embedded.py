"""Serving the embedded identifier: (de)serialising a fitted Identifier to the bytes stored in
IdentifierModel.artifact, and a per-process cache so each process unpickles a version once."""

from __future__ import annotations

import io
import threading

import joblib

from .classifier import Identifier

_cache: dict[int, Identifier] = {}
_lock = threading.Lock()


def identifier_to_bytes(identifier: Identifier) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(identifier, buffer, compress=3)
    return buffer.getvalue()


def identifier_from_bytes(data: bytes) -> Identifier:
    # Only artifacts this product wrote itself are ever loaded (they live in our own database).
    return joblib.load(io.BytesIO(bytes(data)))


def cached_identifier(model_id: int, load_artifact) -> Identifier:
    """The Identifier of IdentifierModel `model_id`; `load_artifact()` is called on a miss only."""
    identifier = _cache.get(model_id)
    if identifier is not None:
        return identifier
    with _lock:  # two threads missing at once unpickle once
        identifier = _cache.get(model_id)
        if identifier is None:
            identifier = identifier_from_bytes(load_artifact())
            # Only the newest few stay: a long-lived process that saw many versions keeps memory bounded.
            for stale in sorted(_cache)[:-2]:
                del _cache[stale]
            _cache[model_id] = identifier
    return identifier


def clear_cache() -> None:
    _cache.clear()
