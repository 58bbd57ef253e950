"""One domain-error hierarchy, rendered as RFC 9457 problem details by one set of handlers."""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://sprpa.id/problems/"


class FieldError(ValueError):
    """A rule across fields, raised in a model validator, naming the field a person must correct
    (the problem's `errors` then name it, not the model)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class DomainError(Exception):
    """An error a client can act on. Services raise these, never HTTPException. Each kind has its
    `type` under PROBLEM_BASE, described in PROBLEM_TYPES (served at /problems by every service)."""

    type: str = "about:blank"
    title: str = "Error"
    status: int = 400
    about: str = ""

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
    about = "The request cannot be read as sent: a malformed header, form or parameter. `detail` says which."


class InvalidJson(BadRequest):
    type, title = "invalid-json", "Body is not JSON"
    about = "The body is not well-formed JSON (or not UTF-8). `detail` gives the position; nothing was changed."


class ValidationFailed(DomainError):
    """Input that parses but breaks a rule; `errors` names each field."""

    type, title, status = "validation-error", "Invalid input", 422
    about = ("The input parses but breaks a rule. `errors` lists each field (dotted, `work.hours_per_day`) with "
             "its message; nothing was changed.")

    def __init__(self, detail: str, *, field: str | None = None, errors: list[dict] | None = None) -> None:
        errors = errors if errors is not None else ([{"field": field, "message": detail}] if field else [])
        super().__init__(detail, errors=errors)


class Unauthorized(DomainError):
    type, title, status = "unauthorized", "Authentication required", 401
    about = "No bearer token, or one that is expired, revoked or not signed by the issuer. Get a new token."


class Forbidden(DomainError):
    type, title, status = "forbidden", "Not allowed", 403
    about = ("Your role or place may not do this (a cadre editing another desa, an analyst reading a child). "
             "The attempt is audited.")


class InsufficientScope(Forbidden):
    """An API client's token lacks the scope the operation declares (RFC 6750 `insufficient_scope`)."""

    type, title, status = "insufficient-scope", "Insufficient scope", 403
    about = "An API client's token lacks the scope the operation needs; `required` names it (RFC 6750)."


class NotFound(DomainError):
    """Also what a caller gets for an object outside their scope: no hint it exists."""

    type, title, status = "not-found", "Not found", 404
    about = ("No such path, or no such object for you: an object outside your scope is answered exactly as one "
             "that does not exist.")


class OutOfScope(NotFound):
    """A record that exists but lies outside the caller's scope: answered exactly as an absent one,
    and audited as a refused attempt (the ids stay out of the answer)."""

    def __init__(self, detail: str = "", *, child_id: Any = None, object_id: Any = None) -> None:
        super().__init__(detail or None)
        self.child_id, self.object_id = child_id, object_id


class Conflict(DomainError):
    type, title, status = "conflict", "Conflict", 409
    about = ("The request does not fit the object's state now (a flag already open, an offer already answered, "
             "an Idempotency-Key reused). `detail` says what.")


class Gone(DomainError):
    """The object existed and was deliberately removed (a child's personal data erased)."""

    type, title, status = "gone", "Gone", 410
    about = "The object existed and was deliberately removed (a child's personal data erased)."


class PreconditionFailed(DomainError):
    type, title, status = "precondition-failed", "Precondition failed", 412
    about = "If-Match does not match the current ETag: someone changed the object. Read it again, then decide."


class PreconditionRequired(DomainError):
    type, title, status = "precondition-required", "Precondition required", 428
    about = "This change needs If-Match with the ETag you read (or `*`), so that nobody's change is overwritten."


class ContentTooLarge(DomainError):
    type, title, status = "content-too-large", "Content too large", 413
    about = "The body is larger than the operation accepts (MAX_BODY_BYTES, or the import limit)."


class TooManyRequests(DomainError):
    type, title, status = "too-many-requests", "Too many requests", 429
    about = "Too many attempts from this address (sign-in); wait `Retry-After` seconds."


class ServiceUnavailable(DomainError):
    type, title, status = "service-unavailable", "Service unavailable", 503
    about = "A dependency is down or too slow (database, NATS); nothing was changed. Retry after `Retry-After`."


class MethodNotAllowed(DomainError):
    type, title, status = "method-not-allowed", "Method not allowed", 405
    about = "The path exists but not with this method; the `Allow` header lists the methods it takes."


class InternalError(DomainError):
    type, title, status = "internal-error", "Internal error", 500
    about = "The server could not complete the request; nothing was changed. It is logged with its traceparent."


def _kinds(root: type[DomainError]) -> list[type[DomainError]]:
    found = []
    for kind in root.__subclasses__():
        found += [kind, *_kinds(kind)]
    return found


def problem_types() -> dict[str, type[DomainError]]:
    """Every problem type the API answers with, by its name under PROBLEM_BASE."""
    return {kind.type: kind for kind in _kinds(DomainError) if kind.type != "about:blank"}
