"""One trace from the HTTP request that flags a child, through the registry's outbox and NATS, into
the referral engine's consumer and its database work; no personal data in any span; the metrics
the operations dashboard (deploy/grafana) draws."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from sprpa_shared import tracing
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.end_to_end.conftest import running_system
from tests.end_to_end.test_faults import _assessed_children, _directory, _flag


class Recorder(SpanExporter):
    """Keeps the spans finished while recording (the provider is the process's: one per session)."""

    def __init__(self) -> None:
        self.recording = False
        self.spans: list[ReadableSpan] = []

    def export(self, spans) -> SpanExportResult:
        if self.recording:
            self.spans.extend(spans)
        return SpanExportResult.SUCCESS


_RECORDER = Recorder()


@pytest.fixture
def spans():
    if not getattr(trace.get_tracer_provider(), "_sprpa_recorder", False):
        trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(_RECORDER))
        trace.get_tracer_provider()._sprpa_recorder = True
    _RECORDER.spans.clear()
    _RECORDER.recording = True
    yield _RECORDER.spans
    _RECORDER.recording = False
    _RECORDER.spans.clear()


@pytest.fixture
async def traced(make_settings, issuer, tmp_path_factory):
    """The system with a span per request and per SQL statement, as when traces are exported."""
    async with running_system(make_settings, issuer, tmp_path_factory, trace_requests=True, trace_sql=True) as started:
        yield started


async def test_a_flag_is_one_trace_from_the_request_through_nats_into_the_engine_and_its_sql(traced, as_, spans):
    system = traced
    await _directory(system, as_("operator"))
    (child_id,) = await _assessed_children(system, as_, 1)
    resolved = await system.registry.get("/api/v1/regions/resolve", params={"name": "Pandanwangi Jerowaru"},
                                         headers=as_("operator"))
    assert resolved.status_code == 200
    scopes = {span.instrumentation_scope.name for span in spans if span.instrumentation_scope}
    assert "opentelemetry.instrumentation.sqlalchemy" in scopes, "SQLAlchemy's spans (sessions, ORM) as well"
    spans.clear()

    await _flag(system, as_, child_id)

    async def offered() -> bool:
        async with database(system.apps["referral"]) as db:
            return await db.fetchval("SELECT count(*) FROM referrals WHERE child_id = $1", child_id) == 4

    await wait_until(offered, timeout=30, what="the engine's offers")
    consumer = await wait_until(lambda: next((span for span in spans if span.kind == SpanKind.CONSUMER
                                               and span.name == "process sprpa.case.flagged.v1"
                                               and span.attributes["sprpa.service"] == "referral"), None),
                                timeout=10, what="the engine's consumer span")
    (request,) = [span for span in spans if span.kind == SpanKind.SERVER
                  and span.name == "POST /api/v1/children/{child_id}/flag"]

    assert consumer.context.trace_id == request.context.trace_id, "one trace across the outbox and NATS"
    assert consumer.parent.span_id == request.context.span_id
    sql = [span for span in spans if span.parent is not None and span.parent.span_id == consumer.context.span_id
           and ("db.system" in span.attributes or "db.system.name" in span.attributes)]
    statements = [str(span.attributes.get("db.statement") or span.attributes.get("db.query.text")) for span in sql]
    # The offers are written with the case's other rows and its events in one statement (db.together).
    assert any("INSERT INTO referrals" in statement for statement in statements), statements


async def test_spans_carry_no_query_strings_and_no_personal_data(traced, as_, spans):
    system = traced
    response = await system.registry.get("/api/v1/regions/resolve", params={"name": "Pandanwangi Jerowaru"},
                                         headers=as_("operator"))
    assert response.status_code == 200
    await wait_until(lambda: any(span.kind == SpanKind.SERVER for span in spans), timeout=5, what="a server span")
    (_, child_id) = await _assessed_children(system, as_, 2)
    read = await system.registry.get(f"/api/v1/children/{child_id}", headers=as_("cadre"))
    assert read.status_code == 200
    name, nik = read.json()["full_name"], read.json().get("nik")

    values = " ".join(str(value) for span in spans for value in span.attributes.values())
    assert "Pandanwangi" not in values and "name=" not in values
    assert name not in values
    assert not nik or nik not in values


async def test_requests_and_sql_are_not_traced_when_spans_are_not_exported_but_the_trace_id_goes_on(system, as_,
                                                                                                    spans):
    """No OTLP endpoint here: a span per request or per statement would cost CPU for spans that go
    nowhere (issue 27's decision). The request still has a traceparent, answered and carried by the
    event into the engine's consumer span."""
    await _directory(system, as_("operator"))
    (child_id,) = await _assessed_children(system, as_, 1)
    spans.clear()
    answered = await _flag(system, as_, child_id)

    await wait_until(lambda: any(span.kind == SpanKind.CONSUMER and span.attributes["sprpa.service"] == "referral"
                                 for span in spans), timeout=30, what="the engine's consumer span")
    assert not [span for span in spans if span.kind == SpanKind.SERVER]
    assert not [span for span in spans if "db.system" in span.attributes or "db.system.name" in span.attributes]
    trace_id = answered.headers["traceparent"].split("-")[1]
    consumer = next(span for span in spans if span.kind == SpanKind.CONSUMER
                    and span.attributes["sprpa.service"] == "referral")
    assert format(consumer.context.trace_id, "032x") == trace_id


def test_a_consumer_makes_its_span_only_when_spans_go_somewhere():
    """Without an exporter (no span processor) a consumer's span would be CPU for nothing (issue 27);
    with one, or with the tests' recorder above, the consumer's span is made."""
    provider = TracerProvider()
    assert not tracing.spans_kept(provider)
    provider.add_span_processor(SimpleSpanProcessor(Recorder()))
    assert tracing.spans_kept(provider)


DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "sprpa-overview.json"
OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


async def test_a_flag_moves_the_metrics_the_dashboard_draws_and_each_is_documented(system, as_):
    await _directory(system, as_("operator"))
    (child_id,) = await _assessed_children(system, as_, 1)
    await _flag(system, as_, child_id)

    async def offers_counted() -> str | None:
        text = (await system.engine.get("/metrics")).text
        return text if 'sprpa_referral_offers_total{backbone="false"} 4.0' in text else None

    engine = await wait_until(offers_counted, timeout=30, what="the engine's offers counted")
    assert re.search(r'^sprpa_consumer_pending\{consumer="referral-cases"\} \d', engine, re.M)
    registry = (await system.registry.get("/metrics")).text
    assert 'sprpa_events_published_total{type="sprpa.case.flagged.v1"} 1.0' in registry

    exposed = {line.split("{")[0].split(" ")[0] for text in (engine, registry) for line in text.splitlines()
               if line and not line.startswith("#")}
    exposed |= {"sprpa_referral_offers_expired_total", "sprpa_events_dead_lettered_total"}  # once it happens
    drawn = {name for panel in json.loads(DASHBOARD.read_text())["panels"] for target in panel["targets"]
             for name in re.findall(r"\b(sprpa_[a-z_]+)", target["expr"])}
    assert drawn and not drawn - exposed, f"the dashboard draws metrics no service exposes: {drawn - exposed}"
    documented = OPERATIONS.read_text()
    families = {re.sub(r"_(total|bucket|sum|count|created)$", "", name)
                for name in exposed if name.startswith("sprpa_")}
    assert not [name for name in families if f"`{name}" not in documented], "every metric is in docs/operations.md"
