"""Structured JSON logs with trace ids and no personal data; Prometheus metrics; W3C traceparent."""

from __future__ import annotations

import logging
import re
import secrets
import sys
import traceback
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Keys whose values are personal data and never reach a log line, whatever a caller passes.
PERSONAL_KEYS = frozenset(
    {"full_name", "name", "nik", "notes", "note", "address", "phone", "email", "password", "birth_date"}
)
REDACTED = "[redacted]"

_traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def new_traceparent(parent: str | None = None) -> str:
    """A child span of `parent` when it is a valid traceparent, else a new trace."""
    match = _TRACEPARENT.match(parent or "")
    trace_id = match.group(1) if match else secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-01"


def current_traceparent() -> str | None:
    return _traceparent.get()


def bind_traceparent(value: str | None) -> None:
    _traceparent.set(value)
    structlog.contextvars.bind_contextvars(trace_id=trace_id_of(value))


def trace_id_of(traceparent: str | None) -> str | None:
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None


def _redact_personal(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in PERSONAL_KEYS.intersection(event_dict):
        event_dict[key] = REDACTED
    return event_dict


def error_fields(exc: BaseException) -> dict:
    """What a log may say about an exception: its type and where it was raised, never its message
    (a database error can quote the values of the row, a NIK among them)."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return {
        "error": type(exc).__name__,
        "stack": [f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} {frame.name}" for frame in frames],
    }


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stdout: one per event, with service, level, time and trace id.

    Standard-library loggers (uvicorn, alembic...) go through the same renderer; their
    free-text messages are kept, HTTP client request lines (which carry URLs) are not.
    """
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_personal,
    ]
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


class Metrics:
    """The platform's metrics for one service, in its own registry (several apps can share a process)."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.http_requests = Counter(
            "sprpa_http_requests", "HTTP requests handled", ["method", "route", "status"], registry=registry
        )
        self.http_latency = Histogram(
            "sprpa_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=registry,
        )
        self.events_published = Counter(
            "sprpa_events_published", "Events published from the outbox", ["type"], registry=registry
        )
        self.outbox_claimed = Counter(
            "sprpa_outbox_claimed", "Events the outbox relay claimed from its table rather than being handed them "
            "as they were committed: another process's (the import), or a retry", registry=registry)
        self.outbox_backlog = Gauge("sprpa_outbox_backlog", "Outbox rows not yet published", registry=registry)
        self.relay_failures = Counter("sprpa_outbox_relay_failures", "Failed outbox publish attempts",
                                      registry=registry)
        self.events_consumed = Counter(
            "sprpa_events_consumed", "Events handled by consumers", ["consumer", "type", "result"],
            registry=registry
        )
        self.events_dead_lettered = Counter(
            "sprpa_events_dead_lettered", "Events sent to the dead-letter subject", ["consumer", "type"],
            registry=registry
        )
        self.events_foreign = Counter(
            "sprpa_events_foreign", "Events dropped because their source or subject is not the owner of the "
            "stream they came from (a forgery, or a misconfigured publisher: alert on any)", ["consumer"],
            registry=registry
        )
        self.consumer_pending = Gauge(
            "sprpa_consumer_pending", "Messages of the stream the consumer has not fetched yet (its lag)",
            ["consumer"], registry=registry
        )
        self.service = service
        self._own: dict[str, Counter] = {}

    def counter(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
        """A service's own counter (e.g. `sprpa_referral_offers_expired`), created once per registry."""
        if name not in self._own:
            self._own[name] = Counter(name, documentation, list(labels), registry=self.registry)
        return self._own[name]
