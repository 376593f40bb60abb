"""Who may see what: API clients by key, and the regions a staff user is limited to."""

from __future__ import annotations

from aftersales.models import ApiClient, Region, StaffProfile


def api_client_for_key(key: str) -> ApiClient | None:
    """The usable client that owns ``key``, or None for an unknown, revoked or expired key.

    The three cases are deliberately indistinguishable to the caller: the API answers them alike
    so that a probe learns nothing about which prefixes exist.
    """
    prefix, dot, _ = key.partition(".")
    if not dot or not prefix:
        return None
    client = ApiClient.objects.filter(prefix=prefix, revoked=False).prefetch_related("regions").first()
    if client is None or client.has_expired or not client.is_valid(key):
        return None
    return client


def api_client_region_codes(client: ApiClient) -> set[str]:
    # Uses the prefetched regions when the client came from api_client_for_key.
    return {region.code for region in client.regions.all()}


def staff_region_codes(user) -> set[str] | None:
    """The region codes a staff user may see and act in; None means not limited.

    Superusers and profiles with ``all_regions`` are unlimited; a user without a profile (or not
    active) sees nothing. Cached on the user object for the rest of the request, like Django's own
    permission cache.
    """
    if user is None or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    if hasattr(user, "_staff_region_codes"):
        return user._staff_region_codes
    profile = StaffProfile.objects.filter(user=user).first() if user.pk else None
    if profile is None:
        codes: set[str] | None = set()
    elif profile.all_regions:
        codes = None
    else:
        codes = set(profile.regions.values_list("code", flat=True))
    user._staff_region_codes = codes
    return codes


def regions_by_codes(codes) -> tuple[list[Region], list[str]]:
    """The regions for ``codes`` in the order given, and the codes that name no region."""
    wanted = list(dict.fromkeys(codes))
    found = Region.objects.in_bulk(wanted)
    return [found[code] for code in wanted if code in found], [code for code in wanted if code not in found]
