from rest_framework.throttling import SimpleRateThrottle

from aftersales.models import ApiClient


class ApiClientRateThrottle(SimpleRateThrottle):
    """One budget per API client (keyed by its unique prefix, not by IP: the chatbot's replicas
    share one client), at the client's own ``throttle_rate`` when it has one, else the default
    ``api_client`` rate. Unauthenticated requests never get here: the permission check runs first."""

    scope = "api_client"

    def allow_request(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        if client.throttle_rate:
            self.rate = client.throttle_rate
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
