"""`Authorization: Api-Key <key>` authentication of the API's machine clients.

Mapping, the same on every endpoint:
- no ``Authorization: Api-Key ...`` header at all → 401 ``not_authenticated`` with
  ``WWW-Authenticate: Api-Key`` (raised by the permission, HasApiClientKey);
- a key that is unknown, revoked, expired or malformed → 403 ``permission_denied`` with one
  message for all four, so nothing tells a prober which it was;
- a valid key → ``request.auth`` and ``request.api_client`` are the ApiClient (``request.user``
  stays None: a machine client is not a staff user).
"""

from __future__ import annotations

import structlog
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from aftersales.selectors.access import api_client_for_key

KEYWORD = "Api-Key"
INVALID_KEY_MESSAGE = "Invalid API key."


def api_key_from_header(request) -> str | None:
    """The key of an ``Authorization: Api-Key <key>`` header, or None when there is none."""
    keyword, _, key = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    if keyword.lower() != KEYWORD.lower():
        return None
    return key.strip()


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        key = api_key_from_header(request)
        if key is None:
            return None
        client = api_client_for_key(key) if key else None
        if client is None:
            raise exceptions.PermissionDenied(INVALID_KEY_MESSAGE)
        request.api_client = client
        # Every later log line of this request names the client (never the key).
        structlog.contextvars.bind_contextvars(api_client=client.prefix)
        return (None, client)

    def authenticate_header(self, request):
        # Makes DRF answer a missing key with 401 and this WWW-Authenticate challenge.
        return KEYWORD


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Declares the Api-Key security scheme in the OpenAPI document (registered on import, which
    DRF does for every view through DEFAULT_AUTHENTICATION_CLASSES)."""

    target_class = ApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`; create a key with `python manage.py create_api_client`.",
        }
