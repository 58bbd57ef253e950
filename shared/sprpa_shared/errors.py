"""One domain-error hierarchy, rendered as RFC 9457 problem details by one set of handlers."""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://sprpa.id/problems/"


class DomainError(Exception):
    """An error a client can act on. Services raise these, never HTTPException."""

    type: str = "about:blank"
    title: str = "Error"
    status: int = 400

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extensions = extensions

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type if self.type == "about:blank" else PROBLEM_BASE + self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class BadRequest(DomainError):
    type, title, status = "bad-request", "Bad request", 400


class ValidationFailed(DomainError):
    """Input that parses but breaks a rule; `errors` names each field."""

    type, title, status = "validation-error", "Invalid input", 422

    def __init__(self, detail: str, *, field: str | None = None, errors: list[dict] | None = None) -> None:
        errors = errors if errors is not None else ([{"field": field, "message": detail}] if field else [])
        super().__init__(detail, errors=errors)


class Unauthorized(DomainError):
    type, title, status = "unauthorized", "Authentication required", 401


class Forbidden(DomainError):
    type, title, status = "forbidden", "Not allowed", 403


class InsufficientScope(Forbidden):
    """An API client's token lacks the scope the operation declares (RFC 6750 `insufficient_scope`)."""

    type, title, status = "insufficient-scope", "Insufficient scope", 403


class NotFound(DomainError):
    """Also what a caller gets for an object outside their scope: no hint it exists."""

    type, title, status = "not-found", "Not found", 404


class OutOfScope(NotFound):
    """A record that exists but lies outside the caller's scope: answered exactly as an absent one,
    and audited as a refused attempt (the ids stay out of the answer)."""

    def __init__(self, detail: str = "", *, child_id: Any = None, object_id: Any = None) -> None:
        super().__init__(detail or None)
        self.child_id, self.object_id = child_id, object_id


class Conflict(DomainError):
    type, title, status = "conflict", "Conflict", 409


class Gone(DomainError):
    """The object existed and was deliberately removed (a child's personal data erased)."""

    type, title, status = "gone", "Gone", 410


class PreconditionFailed(DomainError):
    type, title, status = "precondition-failed", "Precondition failed", 412


class PreconditionRequired(DomainError):
    type, title, status = "precondition-required", "Precondition required", 428


class ContentTooLarge(DomainError):
    type, title, status = "content-too-large", "Content too large", 413


class TooManyRequests(DomainError):
    type, title, status = "too-many-requests", "Too many requests", 429


class ServiceUnavailable(DomainError):
    type, title, status = "service-unavailable", "Service unavailable", 503
