"""OpenAPI: the error shape as one component (``Error``), referenced by every operation's error
responses, so that the published document tells clients what every failure looks like."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from config.api.authentication import ApiKeyAuthentication


class ErrorSerializer(serializers.Serializer):
    """Every error of the API. Branch on ``code`` (stable); ``message`` is for humans."""

    code = serializers.CharField(
        help_text=(
            "Stable error code: invalid, malformed_json, not_authenticated, permission_denied, "
            "region_forbidden, unknown_region, not_found, method_not_allowed, request_too_large, "
            "throttled, internal_error, or a domain code (conflict, invalid_transition, rule_violation, ...)."
        )
    )
    message = serializers.CharField(help_text="Human-readable explanation; may change.")
    details = serializers.DictField(help_text="Structured details, e.g. field errors for `invalid`.")

    class Meta:
        ref_name = "Error"


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses every API operation can give."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = {}
        # A GET with declared query parameters can be malformed too (found by the schemathesis fuzz).
        if self.method in ("POST", "PUT", "PATCH") or self.get_override_parameters():
            errors["400"] = error_response("Invalid input (`invalid`, `malformed_json`, `unknown_region`).")
        if any(isinstance(auth, ApiKeyAuthentication) for auth in self.view.get_authenticators()):
            errors["401"] = error_response("No `Authorization: Api-Key <key>` header (`not_authenticated`).")
            errors["403"] = error_response(
                "Unknown, revoked or expired key (`permission_denied`), "
                "or region not allowed (`region_forbidden`)."
            )
        if "{" in self.path:
            errors["404"] = error_response("No such object (`not_found`).")
        if self.view.get_throttles():
            errors["429"] = error_response("Too many requests (`throttled`); see the Retry-After header.")
        for status_code, response in errors.items():
            responses.setdefault(
                status_code, self._get_response_for_code(response, status_code, direction=direction)
            )
        return responses
