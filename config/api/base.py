"""What every ``/api/v1/`` endpoint builds on: the calling client and its region scope.

Views subclass ``ApiView`` (or mix ``ApiClientMixin`` into a DRF generic view). Authentication,
the per-client throttle and the error shape come from the REST_FRAMEWORK defaults; this adds
``self.api_client``, ``self.require_region(code)`` and ``self.api_client_region_codes``.
"""

from __future__ import annotations

from rest_framework.views import APIView

from aftersales.models import ApiClient, Region
from aftersales.selectors.access import api_client_region_codes
from config.errors import Forbidden, ValidationFailed


def require_region(request, code: str) -> Region:
    """The Region ``code`` names if the calling client is scoped to it.

    Unknown code → 400 ``unknown_region``; a region outside the client's scope → 403
    ``region_forbidden``.
    """
    client: ApiClient = request.auth
    normalised = (code or "").strip().upper()
    allowed = {region.code: region for region in client.regions.all()}
    if normalised in allowed:
        return allowed[normalised]
    if not Region.objects.filter(code=normalised).exists():
        raise ValidationFailed(f"Unknown region {code!r}.", code="unknown_region", details={"region": code})
    raise Forbidden(
        f"This API client may not act in region {normalised}.",
        code="region_forbidden",
        details={"region": normalised},
    )


class ApiClientMixin:
    @property
    def api_client(self) -> ApiClient:
        return self.request.auth

    @property
    def api_client_region_codes(self) -> set[str]:
        """For filtering querysets to the client's scope."""
        return api_client_region_codes(self.request.auth)

    def require_region(self, code: str) -> Region:
        return require_region(self.request, code)


class ApiView(ApiClientMixin, APIView):
    pass
