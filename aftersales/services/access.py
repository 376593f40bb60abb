"""Writes on API clients. The key itself is never stored: only its hash (djangorestframework-api-key
hashes it with SHA-512, fit for high-entropy random keys), and the caller shows it once."""

from __future__ import annotations

import re

import structlog
from django.core.exceptions import ValidationError
from django.db import transaction

from aftersales.models import ApiClient
from aftersales.selectors.access import regions_by_codes
from config.errors import ValidationFailed

logger = structlog.get_logger(__name__)

# What DRF's SimpleRateThrottle.parse_rate understands (it reads the first letter of the period).
THROTTLE_RATE_RE = re.compile(r"^[1-9][0-9]{0,6}/(s|sec|second|m|min|minute|h|hour|d|day)$")


def validate_throttle_rate(rate: str) -> None:
    if rate and not THROTTLE_RATE_RE.match(rate):
        raise ValidationFailed(
            f"Invalid throttle rate {rate!r}: use <requests>/<s|min|hour|day>, e.g. 600/min.",
            details={"throttle_rate": [rate]},
        )


def _full_clean(client: ApiClient) -> None:
    try:
        client.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(
            "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()),
            details=exc.message_dict,
        ) from exc


def _regions_or_fail(region_codes):
    regions, unknown = regions_by_codes([code.strip().upper() for code in region_codes if code.strip()])
    if unknown:
        raise ValidationFailed(
            f"Unknown region: {', '.join(unknown)}.", code="unknown_region", details={"regions": unknown}
        )
    if not regions:
        raise ValidationFailed("An API client needs at least one region.", details={"regions": []})
    return regions


def _save(client: ApiClient, regions, *, actor, event: str, **save_options) -> None:
    _full_clean(client)
    client.save(**save_options)
    client.regions.set(regions)
    # No event table for credentials: the structured log line is their audit trail.
    logger.info(
        event, actor=getattr(actor, "pk", None), client=client.prefix, regions=[r.code for r in regions]
    )


@transaction.atomic
def api_client_create(
    *,
    actor,
    name: str,
    region_codes,
    throttle_rate: str = "",
    may_assert_identity: bool = False,
    expiry_date=None,
) -> tuple[ApiClient, str]:
    """Create a client scoped to ``region_codes``; returns it with its plain key, to be shown once."""
    regions = _regions_or_fail(region_codes)
    validate_throttle_rate(throttle_rate)
    client = ApiClient(
        name=name,
        throttle_rate=throttle_rate,
        may_assert_identity=may_assert_identity,
        expiry_date=expiry_date,
    )
    key = ApiClient.objects.assign_key(client)
    _save(client, regions, actor=actor, event="api_client_created", force_insert=True)
    return client, key


@transaction.atomic
def api_client_update(
    *,
    actor,
    client: ApiClient,
    name: str,
    region_codes,
    throttle_rate: str,
    may_assert_identity: bool,
    expiry_date,
) -> ApiClient:
    regions = _regions_or_fail(region_codes)
    validate_throttle_rate(throttle_rate)
    client.name = name
    client.throttle_rate = throttle_rate
    client.may_assert_identity = may_assert_identity
    client.expiry_date = expiry_date
    _save(
        client,
        regions,
        actor=actor,
        event="api_client_updated",
        update_fields=["name", "throttle_rate", "may_assert_identity", "expiry_date"],
    )
    return client


def api_client_revoke(*, actor, client: ApiClient) -> bool:
    """Revoke for good (the library refuses un-revoking). Returns False if it already was revoked.

    A conditional UPDATE, so two admins revoking at once log one revocation.
    """
    revoked = ApiClient.objects.filter(pk=client.pk, revoked=False).update(revoked=True) == 1
    client.revoked = True
    client._initial_revoked = True
    if revoked:
        logger.info("api_client_revoked", actor=getattr(actor, "pk", None), client=client.prefix)
    return revoked
