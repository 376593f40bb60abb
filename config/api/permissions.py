from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from aftersales.models import ApiClient


class HasApiClientKey(BasePermission):
    """Only requests authenticated by ApiKeyAuthentication (see there for the status mapping)."""

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiClient):
            return True
        raise exceptions.NotAuthenticated(
            "Authentication credentials were not provided: send `Authorization: Api-Key <key>`."
        )
