"""Domain errors shared by every app. The API's exception handler (config.api.errors) turns any
of them into the one error shape ``{"code", "message", "details"}`` with the class's status."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, details: Any = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details if details is not None else {}


class ValidationFailed(DomainError):
    code = "invalid"
    status = 400


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidTransition(Conflict):
    """A guarded status change found the row in another status (0 rows updated)."""

    code = "invalid_transition"


class RuleViolation(DomainError):
    """A business rule refused the action (a tool rule, a policy guard, an SOP constraint)."""

    code = "rule_violation"
    status = 422


class UpstreamFailure(DomainError):
    """A dependency (LLM endpoint, broker) failed; the caller gets a defined fallback."""

    code = "upstream_failure"
    status = 502
