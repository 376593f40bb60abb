"""The region's resolved SOP parameters for the runtime, resolved once per SOP version in a process.

Every tool write and every flow turn needs them; resolving reads six tables (the publication, the
version's clauses and parameters, the overrides and theirs). A version that left draft is
immutable, so the resolution of (version, region) never changes: only the question "which version
is in force here now" is asked per call (one indexed read); the rest comes from process memory.
A newly published version is picked up by the next call, as before."""

from __future__ import annotations

import copy
from functools import cache, lru_cache

from django.db import connection
from django.utils import timezone

from aftersales.models import SopPublication
from aftersales.selectors.sops import sop_version_resolved, sop_version_with_content
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


@cache
def _in_force_sql() -> str:
    """The version in force now, as aftersales.selectors.sops decides it: by time, newest effective
    first. Written once per process: it runs on every write and every flow turn, and the ORM spent
    more time building it than PostgreSQL spends answering it."""
    publication, sop, version = (
        SopPublication._meta,
        SopPublication._meta.get_field("sop").related_model._meta,
        SopPublication._meta.get_field("version").related_model._meta,
    )
    return (
        f'SELECT p."version_id", v."content_hash" FROM "{publication.db_table}" p '  # noqa: S608
        f'JOIN "{sop.db_table}" s ON s."id" = p."sop_id" '
        f'JOIN "{version.db_table}" v ON v."id" = p."version_id" '
        'WHERE s."key" = %s AND p."region_id" = %s AND p."effective_at" <= %s '
        'AND (p."retired_at" IS NULL OR p."retired_at" > %s) '
        'ORDER BY p."effective_at" DESC, p."id" DESC LIMIT 1'
    )


def sop_parameters_in_force(*, sop_key: str, region_code: str) -> dict:
    """What ``aftersales.selectors.sops.sop_parameters`` returns, in one query once warm.
    NotFound (``sop_not_published``) when the SOP has no version in force in the region."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_in_force_sql(), [sop_key, region_code, now, now])
        in_force = cursor.fetchone()
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
