"""OpenTelemetry traces: the HTTP request, the outbox, NATS and the consumer with its database work
in one trace. The event envelope carries the W3C `traceparent` of the request that emitted it; the
consumer's span continues that trace.

Spans are exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the standard
OpenTelemetry variables apply: OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER...). Without it
spans are still made, so every log line carries a real trace id, but go nowhere.

Spans carry route templates, event types, ids and SQL statements with their parameters left out,
never query strings or values: the same rule as logs, no names, NIK or notes.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("sprpa")
# Attributes of a server span that can hold a query string: replaced by the bare path.
_URL_ATTRIBUTES = ("http.target", "http.url", "url.full", "url.query")


def configure(service: str) -> None:
    """Once per process: the SDK provider (exporting only when an endpoint is configured) and the
    asyncpg instrumentation. Later calls (several apps in one test process) change nothing."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"sprpa-{service}",
                                                        "service.namespace": "sprpa"}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor(capture_parameters=False).instrument()


def instrument_app(app, service: str) -> None:
    """Server spans for every request but health checks and metrics, named by route template."""

    def without_query(span, scope) -> None:
        if span.is_recording():
            span.set_attribute("sprpa.service", service)
            for key in _URL_ATTRIBUTES:
                span.set_attribute(key, scope.get("path", ""))

    FastAPIInstrumentor.instrument_app(app, server_request_hook=without_query, exclude_spans=["receive", "send"],
                                       excluded_urls="healthz,readyz,metrics")


def instrument_engine(engine) -> None:
    """Spans for the service's SQL (statements only; parameters are never recorded)."""
    # The instrumentation declares sqlalchemy < 2.1 and would refuse 2.1 with an error at every start;
    # the engine events it hooks are unchanged in 2.1 (tests/end_to_end/test_observability.py).
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, enable_commenter=False, skip_dep_check=True)


def active_traceparent() -> str | None:
    """The W3C traceparent of the active span, or None when there is none."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def consuming(*, service: str, consumer: str, subject: str, event_type: str, event_id: str,
              traceparent: str | None):
    """The consumer's span, a child of the span that emitted the event (across the outbox and NATS)."""
    parent = _PROPAGATOR.extract({"traceparent": traceparent} if traceparent else {})
    with _tracer.start_as_current_span(f"process {event_type}", context=parent, kind=SpanKind.CONSUMER,
                                       attributes={"messaging.system": "nats",
                                                   "messaging.destination.name": subject,
                                                   "messaging.consumer.group.name": consumer,
                                                   "messaging.message.id": event_id,
                                                   "sprpa.service": service}) as span:
        yield span
