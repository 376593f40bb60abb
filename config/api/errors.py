"""The one error shape of the API: ``{"code": str, "message": str, "details": {...}}``.

Every failure under ``/api/`` has it — DRF's own exceptions, every ``config.errors.DomainError``,
unhandled exceptions (500 ``internal_error``, logged with the request id), and the responses
Django produces outside the views (unknown URL, oversized body), which
``config.middleware.ApiErrorMiddleware`` rewrites. ``code`` is stable: clients branch on it;
``message`` is for humans and may change.

Stable codes: ``invalid`` (details = field errors), ``malformed_json``, ``not_authenticated``
(401: no ``Authorization: Api-Key`` header), ``permission_denied`` (403: unknown, revoked or
expired key, or not allowed), ``region_forbidden``, ``unknown_region``, ``not_found``,
``method_not_allowed``, ``not_acceptable``, ``unsupported_media_type``, ``request_too_large``,
``throttled`` (details.retry_after, plus a Retry-After header), ``internal_error``, and the codes
of the domain errors (``conflict``, ``invalid_transition``, ``rule_violation``, ...).
"""

from __future__ import annotations

import math

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from config.errors import DomainError

logger = structlog.get_logger(__name__)

# DRF exception class → stable code, where DRF's own default code is not the one we publish.
_DRF_CODES = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "malformed_json",
    exceptions.AuthenticationFailed: "not_authenticated",
}
# Codes and messages for responses that Django produces without an exception reaching DRF.
STATUS_CODES = {
    400: ("bad_request", "Bad request."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    406: ("not_acceptable", "Could not satisfy the request Accept header."),
    413: ("request_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Unsupported media type."),
    429: ("throttled", "Request was throttled."),
    500: ("internal_error", "Internal server error."),
}


def error_body(code: str, message: str, details=None) -> dict:
    return {"code": code, "message": message, "details": details if details is not None else {}}


def error_json_response(
    status_code: int, *, code: str | None = None, message: str | None = None, details=None
):
    """A plain Django JsonResponse in the error shape (for middleware and URL handlers)."""
    fallback = STATUS_CODES[400] if status_code < 500 else STATUS_CODES[500]
    default_code, default_message = STATUS_CODES.get(status_code, fallback)
    return JsonResponse(
        error_body(code or default_code, message or default_message, details), status=status_code
    )


def _drf_code(exc: exceptions.APIException) -> str:
    for cls, code in _DRF_CODES.items():
        if isinstance(exc, cls):
            return code
    codes = exc.get_codes()
    # A custom code given at raise time (PermissionDenied(code="region_forbidden")) wins.
    return codes if isinstance(codes, str) else exc.default_code


def _drf_error(exc: exceptions.APIException) -> tuple[dict, dict]:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    details: dict = {}
    if isinstance(exc, exceptions.ValidationError):
        message = "Invalid input."
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    elif isinstance(exc, exceptions.Throttled):
        message = "Request was throttled."
        if exc.wait is not None:
            retry_after = max(1, math.ceil(exc.wait))
            headers["Retry-After"] = str(retry_after)
            details = {"retry_after": retry_after}
    else:
        message = str(exc.detail)
    return error_body(_drf_code(exc), message, details), headers


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every exception raised in an API view becomes the error shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        set_rollback()
        return Response(error_body(*STATUS_CODES[413]), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)

    if isinstance(exc, DjangoValidationError):
        # A service's full_clean() refused the data.
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        body, headers = _drf_error(exc)
        return Response(body, status=exc.status_code, headers=headers)

    # Unhandled: log it with the traceback (the request id is in the log context) and answer JSON,
    # never the HTML debug page, never internals in the body.
    request = context.get("request")
    logger.exception(
        "api_unhandled_exception",
        path=getattr(request, "path", None),
        view=type(context.get("view")).__name__,
    )
    set_rollback()
    return Response(error_body(*STATUS_CODES[500]), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
