"""The region's resolved SOP parameters for the runtime, resolved once per SOP version in a process.

Every tool write and every flow turn needs them; resolving reads six tables (the publication, the
version's clauses and parameters, the overrides and theirs). A version that left draft is
immutable, so the resolution of (version, region) never changes: only the question "which version
is in force here now" is asked per call (one indexed read); the rest comes from process memory.
A newly published version is picked up by the next call, as before."""

from __future__ import annotations

import copy
from functools import lru_cache

from aftersales.selectors.sops import sop_version_in_force, sop_version_resolved, sop_version_with_content
from aftersales.sops.params import parameter_value_python
from config.errors import NotFound

CACHED_RESOLUTIONS = 512  # SOPs x regions x versions alive at once, with room to spare


@lru_cache(maxsize=CACHED_RESOLUTIONS)
def _resolved_parameters(version_id: int, content_hash: str, region_code: str) -> dict:
    # content_hash is part of the key only as a guard: an immutable version never changes it.
    resolved = sop_version_resolved(sop_version_with_content(version_id), region_code)
    return {
        name: parameter_value_python(p["type"], p["value"], p["unit"])
        for name, p in resolved["parameters"].items()
    }


def sop_parameters_in_force(*, sop_key: str, region_code: str) -> dict:
    """What ``aftersales.selectors.sops.sop_parameters`` returns, in one query once warm.
    NotFound (``sop_not_published``) when the SOP has no version in force in the region."""
    in_force = sop_version_in_force(sop_key=sop_key, region_code=region_code)
    if in_force is None:
        raise NotFound(
            f"SOP {sop_key} has no published version in {region_code}.",
            code="sop_not_published",
            details={"sop": sop_key, "region": region_code},
        )
    version_id, content_hash = in_force
    if not content_hash:  # never hashed (not reviewed): nothing safe to key the cache on
        return _resolved_parameters.__wrapped__(version_id, content_hash, region_code)
    # A copy: callers may not change what the next call gets.
    return copy.deepcopy(_resolved_parameters(version_id, content_hash, region_code))
