"""The service application factory: what every service's main.py assembles its parts with (the
middlewares it installs are in `middleware`)."""

from __future__ import annotations

import asyncio
import gc
import html
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from sprpa_shared import audit, tracing
from sprpa_shared.audit_router import audit_router
from sprpa_shared.auth.principal import Role
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock, SystemClock
from sprpa_shared.db import create_engine, create_read_pool, session_factory
from sprpa_shared.dependencies import PrincipalDep, needs
from sprpa_shared.errors import PROBLEM_BASE, ServiceUnavailable, problem_types
from sprpa_shared.events.bus import EventBus, Subscription
from sprpa_shared.middleware import BodyLimitMiddleware, NulCharacterMiddleware, ObservabilityMiddleware
from sprpa_shared.observability import Metrics, configure_logging, get_logger
from sprpa_shared.problems import install_problem_handlers
from sprpa_shared.settings import ServiceSettings

log = get_logger(__name__)

# A background job runs for the app's lifetime (e.g. an SLA sweeper); it receives the app.
Job = Callable[[FastAPI], Coroutine[Any, Any, None]]
# FastAPI's own telemetry (0.165+) is on by default: a span per request and per dependency and
# serialisation step, HTTP metrics, and OpenTelemetry log records of validation failures and
# exceptions with their messages and inputs. Off: our spans come from `tracing` (only when they
# are exported), our metrics from Prometheus, and nothing may record a request's input values.
# What it cost: docs/performance.md, "Measurements behind the code".
NO_NATIVE_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    subscriptions: Sequence[Subscription] = (),
    jobs: Sequence[Job] = (),
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
    body_limits: dict[str, int] | None = None,
    audited: bool = False,
) -> FastAPI:
    """A service: its routers, event subscriptions and background jobs on the platform. `audited`
    services keep an audit log: they seal it (hash chain) and serve `/api/v1/audit` to national admins."""
    if audited and settings.environment == "production" and not settings.audit_keys:
        raise ValueError(f"{settings.model_config.get('env_prefix')}AUDIT_KEYS is not set: the audit log's seals "
                         "need a key the database does not hold")
    settings.audit_keyring()  # a malformed key is a start-up error
    configure_logging(settings.service, settings.log_level)
    tracing.configure(settings.service)
    metrics = Metrics(settings.service)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.sqlalchemy_url, pool_size=settings.database_pool_size,
                               statement_timeout=settings.database_statement_timeout_seconds)
        tracing.instrument_engine(engine, setting=settings.trace_sql)
        app.state.engine = engine
        app.state.sessions = session_factory(engine, metrics=metrics)
        app.state.bus = EventBus(
            service=settings.service,
            nats_url=settings.nats_url,
            nats_options=settings.nats_options(),
            dsn=settings.asyncpg_url,
            sessions=app.state.sessions,
            metrics=metrics,
            subscriptions=app.state.subscriptions,
            stream_replicas=settings.stream_replicas,
            statement_timeout=settings.database_statement_timeout_seconds,
        )
        app.state.bus.start()
        if audited:  # reads of children: one statement on a small pool, their audit rows group-committed
            app.state.read_pool = await create_read_pool(
                settings.asyncpg_url, size=max(2, settings.database_pool_size // 2),
                statement_timeout=settings.database_statement_timeout_seconds)
            app.state.audit_writer = audit.GroupCommit(app.state.read_pool)
        all_jobs = [*jobs, audit.sealer] if audited else list(jobs)
        job_tasks = [asyncio.create_task(job(app), name=getattr(job, "__name__", "job")) for job in all_jobs]
        log.info("service started", port=settings.port)
        # What the start made (modules, routes, models, settings) lives as long as the process: out
        # of the collector's sight, a collection of the oldest generation looks at requests' garbage only.
        gc.freeze()
        try:
            yield
        finally:
            for task in job_tasks:
                task.cancel()
            await asyncio.gather(*job_tasks, return_exceptions=True)
            await app.state.bus.stop()
            if audited:
                await app.state.audit_writer.close()
                await app.state.read_pool.close()
            await engine.dispose()
            await app.state.verifier.aclose()
            log.info("service stopped")

    app = FastAPI(title=title, description=description + API_CONVENTIONS, version="1.0.0", lifespan=lifespan,
                  telemetry=NO_NATIVE_TELEMETRY)
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.subscriptions = list(subscriptions)
    app.state.audited = audited
    app.state.clock = clock or SystemClock()
    app.state.verifier = verifier or TokenVerifier(
        issuer=settings.oidc_issuer.rstrip("/"), audience=settings.oidc_audience, jwks_url=settings.jwks_url,
        revocations_url=settings.revocations_url
    )
    install_problem_handlers(app)
    app.add_middleware(NulCharacterMiddleware)
    app.add_middleware(BodyLimitMiddleware, default=settings.max_body_bytes, by_prefix=body_limits or {})
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    app.include_router(health_router())
    app.include_router(auth_router())
    for router in routers:
        app.include_router(router)
    if audited:
        app.include_router(audit_router())
    if tracing.wanted(settings.trace_requests):
        tracing.instrument_app(app, settings.service)
    return app


class Me(BaseModel):
    """The caller as the token describes them."""

    subject: str
    role: Role
    regency_codes: list[str]
    village_code: str | None
    organization_id: uuid.UUID | None
    scopes: list[str]


def auth_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

    @router.get("/me", dependencies=[needs(None)], summary="Who the bearer token says the caller is", response_model=Me)
    async def me(principal: PrincipalDep) -> Me:
        return Me(
            subject=principal.subject,
            role=principal.role,
            regency_codes=list(principal.regency_codes),
            village_code=principal.village_code,
            organization_id=principal.organization_id,
            scopes=sorted(principal.scopes),
        )

    return router


API_CONVENTIONS = """

Errors are RFC 9457 problem documents (`application/problem+json`); every `type` is described at
[/problems](/problems). Lists answer `{items, next_cursor}`; those other systems poll take
`updated_since`. Creates take `Idempotency-Key` and answer `Location` and `ETag`; updates need
`If-Match`. The integration guide (docs/integration.md) walks through it all."""


def _problems_page() -> str:
    rows = "".join(
        f'<tr id="{html.escape(name)}"><td><code>{html.escape(PROBLEM_BASE + name)}</code></td>'
        f"<td>{kind.status}</td><td>{html.escape(kind.title)}</td><td>{html.escape(kind.about)}</td></tr>"
        for name, kind in sorted(problem_types().items(), key=lambda item: (item[1].status, item[0])))
    return ("<!doctype html><html lang=en><meta charset=utf-8><title>SPRPA problem types</title>"
            "<h1>Problem types</h1><p>Every error of the SPRPA API is an RFC 9457 problem document "
            "(<code>application/problem+json</code>) whose <code>type</code> is one of these. "
            "<code>detail</code> says what happened this time; <code>errors</code> names each invalid field."
            "<table><tr><th>type<th>status<th>title<th>meaning and what to do</tr>" + rows + "</table></html>")


PROBLEMS_PAGE = _problems_page()


def health_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Alive")
    async def healthz() -> dict:
        return {"status": "ok"}

    @router.get("/readyz", summary="Database and NATS reachable, event workers running")
    async def readyz(request: Request) -> dict:
        state = request.app.state
        checks = {"database": await _database_ok(state.engine), "nats": state.bus.ready,
                  "event_workers": state.bus.workers_alive}
        if not all(checks.values()):
            down = ", ".join(name for name, ok in checks.items() if not ok)
            raise ServiceUnavailable(f"not ready: {down} down", checks=checks)
        return {"status": "ready", "checks": checks}

    @router.get("/problems", summary="Every problem type the API answers with, and what to do about it",
                response_class=HTMLResponse)
    async def problems() -> HTMLResponse:
        return HTMLResponse(PROBLEMS_PAGE)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


async def _database_ok(engine) -> bool:
    try:
        async with asyncio.timeout(2):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means not ready
        return False
