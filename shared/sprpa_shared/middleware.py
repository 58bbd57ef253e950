"""The middlewares every service runs: request metrics and trace context, a body size limit, and
the refusal of NUL characters (which PostgreSQL cannot store in text)."""

from __future__ import annotations

import time
from typing import Any

from sprpa_shared import tracing
from sprpa_shared.errors import BadRequest, ContentTooLarge
from sprpa_shared.events import outbox
from sprpa_shared.observability import Metrics, bind_traceparent, new_traceparent
from sprpa_shared.problems import problem_response


class ObservabilityMiddleware:
    """Binds the request's traceparent (for logs and emitted events) and records its count and
    latency by route template. Being outermost, it also holds the events the request's transactions
    commit until the answer is written (`outbox.held_until_answered`)."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"traceparent", b"").decode() or None
        # The request's server span (OpenTelemetry's middleware wraps this one); health checks have none.
        traceparent = tracing.active_traceparent() or new_traceparent(incoming)
        bind_traceparent(traceparent)
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_trace(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"traceparent", traceparent.encode()))
            await send(message)

        try:
            with outbox.held_until_answered():
                await self.app(scope, receive, send_with_trace)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.metrics.http_requests.labels(scope["method"], template, str(status["code"])).inc()
            self.metrics.http_latency.labels(scope["method"], template).observe(time.perf_counter() - started)


class BodyLimitMiddleware:
    """Refuses request bodies above a limit (per path prefix) with a 413 problem, before reading them
    when Content-Length says so, and as soon as a streamed body passes it otherwise."""

    def __init__(self, app, default: int, by_prefix: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.by_prefix = sorted(by_prefix.items(), key=lambda item: -len(item[0]))

    def _limit(self, path: str) -> int:
        return next((limit for prefix, limit in self.by_prefix if path.startswith(prefix)), self.default)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, send, limit)
            return
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyOverLimit
            return message

        async def tracking_send(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyOverLimit:
            # A streamed (chunked) body passed the limit while something inside was reading it: no
            # transaction has begun on a body not yet read, so nothing changed. 413, as for a declared one.
            if started:
                raise
            await _too_large(scope, send, limit)


class _BodyOverLimit(Exception):
    """Raised from a request's receive when its streamed body passes the limit."""


class NulCharacterMiddleware:
    """Refuses a NUL character in the path, the query or a JSON or form body with a 400 problem.

    PostgreSQL text cannot hold one: let through, it would fail deep in a query as a server error
    (the fuzzer found this at the token endpoint). Uploaded files are not looked into."""

    _SCANNED = (b"application/json", b"application/x-www-form-urlencoded")
    _MARKS = (b"\\u0000", b"%00", b"\x00")

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("raw_path", b"") or b"%00" in scope.get("query_string", b"") \
                or "\x00" in scope["path"]:
            await _refuse_nul(scope, send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type not in self._SCANNED:
            await self.app(scope, receive, send)
            return
        # JSON and form bodies are small (the body limit outside this middleware caps them): read
        # the whole body, look, then hand it on unchanged.
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message, receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if any(mark in body for mark in self._MARKS):
            await _refuse_nul(scope, send)
            return
        await self.app(scope, _replay([body], None, receive), send)


def _replay(bodies: list[bytes], first: dict | None, receive):
    """A receive that gives back what was already read, then whatever comes next."""
    pending = [{"type": "http.request", "body": body, "more_body": False} for body in bodies]
    if first is not None:
        pending.append(first)

    async def replayed():
        return pending.pop(0) if pending else await receive()

    return replayed


async def _no_body() -> dict[str, Any]:
    """The receive of an answer given before the body is read (the answer reads nothing)."""
    return {"type": "http.request", "body": b"", "more_body": False}


async def _refuse_nul(scope, send) -> None:
    response = problem_response(BadRequest("text may not contain NUL characters").problem(instance=scope["path"]))
    await response(scope, _no_body, send)


async def _too_large(scope, send, limit: int) -> None:
    problem = ContentTooLarge(f"the request body is larger than {limit} bytes", limit=limit)
    response = problem_response(problem.problem(instance=scope["path"]))
    await response(scope, _no_body, send)
