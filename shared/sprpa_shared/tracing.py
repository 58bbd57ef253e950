"""OpenTelemetry traces: the HTTP request, the outbox, NATS and the consumer with its database work
in one trace. The event envelope carries the W3C `traceparent` of the request that emitted it; the
consumer's span continues that trace.

Spans are exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the standard
OpenTelemetry variables apply: OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER...). Without it the
consumer's spans are still made (one per event), but no server span per request: every log line
still carries a trace id (the request's own traceparent, made by the observability middleware)
and every event emitted carries it on.

A span per HTTP request (OpenTelemetry's ASGI middleware) and a span per SQL statement are made
only when spans leave the process (or `SPRPA_<SERVICE>_TRACE_REQUESTS` / `_TRACE_SQL` ask for
them): the SQL spans cost a third of each service's CPU on the flag-to-offers path, and the
middleware a share of every request's, for spans nobody could see. One instrumentation
(SQLAlchemy's) records the SQL spans; asyncpg's would record every statement a second time.

Spans carry route templates, event types, ids and SQL statements with their parameters left out,
never query strings or values: the same rule as logs, no names, NIK or notes.
"""

from __future__ import annotations

import os
import weakref
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import __name__ as SQLALCHEMY_SCOPE
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sqlalchemy_instrumentation_version
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.semconv.metrics import MetricInstruments
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("sprpa")
# Attributes of a server span that can hold a query string: replaced by the bare path.
_URL_ATTRIBUTES = ("http.target", "http.url", "url.full", "url.query")


def exporting() -> bool:
    """Whether spans leave the process (an OTLP endpoint is configured)."""
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def wanted(setting: bool | None) -> bool:
    """A kind of span is made when its setting says so, or by default when spans are exported."""
    return exporting() if setting is None else setting


def configure(service: str) -> None:
    """Once per process: the SDK provider, exporting only when an endpoint is configured. Later
    calls (several apps in one test process) change nothing."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"sprpa-{service}",
                                                        "service.namespace": "sprpa"}))
    if exporting():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def instrument_app(app, service: str) -> None:
    """Server spans for every request but health checks and metrics, named by route template."""

    def without_query(span, scope) -> None:
        if span.is_recording():
            span.set_attribute("sprpa.service", service)
            for key in _URL_ATTRIBUTES:
                span.set_attribute(key, scope.get("path", ""))

    FastAPIInstrumentor.instrument_app(app, server_request_hook=without_query, exclude_spans=["receive", "send"],
                                       excluded_urls="healthz,readyz,metrics")


_TRACED_ENGINES: weakref.WeakSet = weakref.WeakSet()  # engines whose SQL is traced (the driver's too)


def instrument_engine(engine, *, setting: bool | None = None) -> None:
    """Spans for the service's SQL (statements only; parameters are never recorded), when the
    setting asks for them, or by default when spans are exported; the statements run on the driver
    connection under the engine's sessions (`sprpa_shared.db`) get theirs from `driver_sql`."""
    if not wanted(setting):
        return
    _TRACED_ENGINES.add(engine.sync_engine)
    # The engine's tracer, as `SQLAlchemyInstrumentor().instrument(engine=...)` makes it, without
    # that call's process-wide patches (it instruments once per process: a second engine, as in
    # the tests' one process, would get none) or its check for SQLAlchemy < 2.1 (the engine events
    # it hooks are unchanged in 2.1: tests/end_to_end/test_observability.py).
    tracer = trace.get_tracer(SQLALCHEMY_SCOPE, sqlalchemy_instrumentation_version)
    usage = metrics.get_meter(SQLALCHEMY_SCOPE, sqlalchemy_instrumentation_version).create_up_down_counter(
        name=MetricInstruments.DB_CLIENT_CONNECTIONS_USAGE, unit="connections",
        description="The number of connections that are currently in state described by the state attribute.")
    EngineTracer(tracer, engine.sync_engine, usage, enable_commenter=False)


def active_traceparent() -> str | None:
    """The W3C traceparent of the active span, or None when there is none."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def spans_kept(provider=None) -> bool:
    """Whether a span made now goes anywhere: the provider has a span processor (an exporter, or a
    test's recorder). Without one a span is CPU spent for nothing."""
    processor = getattr(provider or trace.get_tracer_provider(), "_active_span_processor", None)
    return bool(getattr(processor, "_span_processors", ()))


def sql_traced(engine) -> bool:
    """Whether `instrument_engine` traces this engine's SQL (an AsyncEngine or its sync engine)."""
    return engine is not None and getattr(engine, "sync_engine", engine) in _TRACED_ENGINES


@contextmanager
def driver_sql(statement: str, traced: bool, *, context: otel_context.Context | None = None):
    """A client span for a statement run on the driver connection, as SQLAlchemy's instrumentation
    makes one for its own (the statement only, never its parameters), when the engine's SQL is
    `traced` and spans are kept; otherwise nothing. `context`: the one the statement was made in,
    for a statement sent later (`held_context`)."""
    if not (traced and spans_kept()):
        yield
        return
    operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
    with _tracer.start_as_current_span(operation, kind=SpanKind.CLIENT, context=context,
                                       attributes={"db.system": "postgresql", "db.statement": statement}):
        yield


def held_context(traced: bool) -> otel_context.Context | None:
    """The context of a statement made now and sent later: its span is then a child of the span
    current now (a consumer's), not of whatever is current when it goes."""
    return otel_context.get_current() if traced and spans_kept() else None


@contextmanager
def consuming(*, service: str, consumer: str, subject: str, event_type: str, event_id: str,
              traceparent: str | None):
    """The consumer's span, a child of the span that emitted the event (across the outbox and NATS),
    when spans are kept; otherwise none (the trace id still goes on in the logs and the events)."""
    if not spans_kept():
        yield None
        return
    parent = _PROPAGATOR.extract({"traceparent": traceparent} if traceparent else {})
    with _tracer.start_as_current_span(f"process {event_type}", context=parent, kind=SpanKind.CONSUMER,
                                       attributes={"messaging.system": "nats",
                                                   "messaging.destination.name": subject,
                                                   "messaging.consumer.group.name": consumer,
                                                   "messaging.message.id": event_id,
                                                   "sprpa.service": service}) as span:
        yield span
