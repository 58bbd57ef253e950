"""RFC 9457 rendering: one handler per kind of failure, all answering application/problem+json."""

from __future__ import annotations

import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from sprpa_shared import audit
from sprpa_shared.errors import (
    BadRequest,
    ContentTooLarge,
    DomainError,
    FieldError,
    Forbidden,
    InternalError,
    InvalidJson,
    MethodNotAllowed,
    NotFound,
    OutOfScope,
    ServiceUnavailable,
    ValidationFailed,
)
from sprpa_shared.observability import error_fields, get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)


def problem_response(body: dict, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    if isinstance(exc, (Forbidden, OutOfScope)):
        await _audit_refusal(request, exc)
    headers = {"WWW-Authenticate": 'Bearer realm="sprpa"'} if exc.status == 401 else None
    if exc.status == 429 and "retry_after_seconds" in exc.extensions:
        headers = {"Retry-After": str(exc.extensions["retry_after_seconds"])}
    return problem_response(exc.problem(instance=request.url.path), headers)


async def _audit_refusal(request: Request, exc: DomainError) -> None:
    """A refused attempt by a known caller is written to the audit log of a service that keeps one."""
    principal = getattr(request.state, "principal", None)
    state = request.app.state
    if principal is None or not getattr(state, "audited", False):
        return
    child_id = getattr(exc, "child_id", None) or _path_id(request, "child_id")
    try:
        await audit.record_refusal(state.engine, principal=principal, request=request, at=state.clock.now(),
                                   child_id=child_id, object_id=getattr(exc, "object_id", None))
    except Exception as failure:  # noqa: BLE001 - the refusal stands; its row is best effort, and logged
        log.error("refused attempt not audited", path=request.url.path, **error_fields(failure))


def _path_id(request: Request, name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(request.path_params.get(name)))
    except ValueError:
        return None


def _field_error(error: dict) -> dict:
    """One invalid field, by its dotted name; a rule across fields (FieldError) names its field."""
    parts = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
    message = error.get("msg", "invalid")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        parts.append(cause.field)
        message = str(cause)
    return {"field": ".".join(parts) or "body", "message": message}


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    malformed = next((error for error in exc.errors() if error.get("type") == "json_invalid"), None)
    if malformed is not None:
        at = malformed.get("loc", ("body", "?"))[-1]
        cause = (malformed.get("ctx") or {}).get("error")
        detail = f"the body is not JSON ({cause}, at position {at})" if cause else "the body is not JSON"
        return problem_response(InvalidJson(detail).problem(instance=request.url.path))
    errors = [_field_error(error) for error in exc.errors()]
    fields = ", ".join(sorted({error["field"] for error in errors}))
    return problem_response(ValidationFailed(f"invalid value for: {fields}" if fields else "invalid input",
                                             errors=errors).problem(instance=request.url.path))


_FRAMEWORK = {400: BadRequest, 404: NotFound, 405: MethodNotAllowed, 413: ContentTooLarge}


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """What the framework answers (no such route, a method the path does not take) as our problems."""
    kind = _FRAMEWORK.get(exc.status_code)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed(request)
    if kind is None:
        body = {"type": "about:blank", "title": "Error", "status": exc.status_code,
                "detail": str(exc.detail), "instance": request.url.path}
    else:
        detail = {404: f"no such path: {request.url.path}",
                  405: f"{request.method} is not allowed here; allowed: {headers.get('Allow', '')}"}.get(
            exc.status_code, exc.detail if isinstance(exc.detail, str) else kind.title)
        body = kind(detail).problem(instance=request.url.path)
    return problem_response(body, headers or None)


def _allowed(request: Request) -> str:
    """Every method some route takes on this path (Starlette names only the first route's)."""
    routes = request.app.router.routes
    return ", ".join(method for method in _METHODS if any(
        route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes))


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _cancelled_by_timeout(exc: BaseException) -> bool:
    """Somewhere in the chain: PostgreSQL's query_canceled (57014), as asyncpg reports it."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if type(seen).__name__ == "QueryCanceledError" or getattr(seen, "sqlstate", None) == "57014":
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False


async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
    """A statement cut off by the statement timeout is the database being too slow (503); any
    other database error is a server error like any unexpected one."""
    if _cancelled_by_timeout(exc):
        log.warning("statement timeout", path=request.url.path)
        return problem_response(ServiceUnavailable(
            "the database took too long; nothing was changed, try again").problem(instance=request.url.path),
            {"Retry-After": "5"})
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", path=request.url.path, **error_fields(exc))
    return problem_response(InternalError("the server could not complete the request; nothing was changed")
                            .problem(instance=request.url.path))


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _database_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
    _document_problems(app)


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem: what went wrong, for a person and for a program.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "a URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "description": "each invalid field and why", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
    },
    "additionalProperties": True,
}
_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _document_problems(app: FastAPI) -> None:
    """The OpenAPI document says what the handlers above do: every error is a problem document
    (FastAPI's default documents 422 as its own `HTTPValidationError` in application/json)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {"description": "Invalid input", "content": _PROBLEM_CONTENT}
                responses.setdefault("4XX", {"description": "A problem the caller can act on",
                                             "content": _PROBLEM_CONTENT})
                responses.setdefault("5XX", {"description": "The server could not complete the request; nothing "
                                                            "was changed", "content": _PROBLEM_CONTENT})
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document
