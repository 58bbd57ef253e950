"""What every service answers the same way: health, readiness, metrics, problems, settings, logs."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import text

from registry.settings import RegistrySettings
from sprpa_shared.app import create_service_app
from sprpa_shared.dependencies import SessionDep
from sprpa_shared.errors import Conflict
from sprpa_shared.observability import configure_logging, get_logger
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import running


class Sample(BaseModel):
    village_code: str = Field(pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
    hours_per_week: int = Field(ge=0)


def _probe_router() -> APIRouter:
    """Routes that exercise the platform's error rendering the way domain routes will."""
    router = APIRouter(prefix="/probe")

    @router.post("/validate")
    async def validate(body: Sample) -> Sample:
        return body

    @router.post("/conflict")
    async def conflict() -> None:
        raise Conflict("already registered", existing_id=str(uuid.UUID(int=1)))

    @router.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret internal detail")

    return router


@pytest.fixture
async def service(make_settings, issuer):
    app = create_service_app(
        await make_settings(RegistrySettings),
        title="registry",
        description="",
        verifier=issuer.verifier(),
        routers=[_probe_router()],
    )
    async with running(app) as client:
        yield app, client


async def test_health_and_readiness(service):
    _, client = service
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "nats": True, "event_workers": True}


async def test_readyz_turns_503_while_nats_is_down_and_200_after(service, servers):
    _, client = service

    async def while_down():
        response = await wait_until(
            lambda: _status_is(client, 503), timeout=15, what="readyz 503 with NATS down"
        )
        body = response.json()
        assert body["checks"] == {"database": True, "nats": False, "event_workers": True}
        assert body["detail"] == "not ready: nats down"

    await servers.nats_is_down_for(while_down)
    await wait_until(lambda: _status_is(client, 200), timeout=15, what="readyz back to 200")


async def test_readyz_turns_503_when_the_outbox_relay_has_died(service):
    app, client = service
    await wait_until(lambda: _status_is(client, 200), timeout=15, what="ready first")
    relay = next(task for task in app.state.bus._tasks if task.get_name().endswith("-relay"))
    relay.cancel()  # as if it had crashed: nothing would ever publish again

    response = await wait_until(lambda: _status_is(client, 503), timeout=5, what="readyz 503 without a relay")
    assert response.json()["checks"] == {"database": True, "nats": True, "event_workers": False}


async def _status_is(client, status: int):
    response = await client.get("/readyz")
    return response if response.status_code == status else None


async def test_validation_errors_are_problems_naming_each_field(service):
    _, client = service
    response = await client.post("/probe/validate", json={"village_code": "Kesilir", "hours_per_week": -3})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://sprpa.id/problems/validation-error"
    assert {error["field"] for error in body["errors"]} == {"village_code", "hours_per_week"}
    assert "village_code" in body["detail"] and "hours_per_week" in body["detail"]


async def test_domain_errors_unknown_routes_and_crashes_are_problems(service, capsys):
    _, client = service
    conflict = await client.post("/probe/conflict")
    assert conflict.status_code == 409
    assert conflict.json()["existing_id"] == str(uuid.UUID(int=1))
    missing = await client.get("/api/v1/nothing-here")
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/problem+json")
    wrong_method = await client.delete("/healthz")
    assert wrong_method.status_code == 405 and wrong_method.json()["title"] == "Method not allowed"
    crash = await client.get("/probe/crash")
    assert crash.status_code == 500
    assert "secret internal detail" not in crash.text
    logged = capsys.readouterr().out
    assert '"error": "RuntimeError"' in logged and "test_service_basics.py" in logged
    assert "secret internal detail" not in logged, "exception messages can quote personal data"


async def test_metrics_count_requests_by_route_template(service):
    _, client = service
    await client.get("/healthz")
    await client.get(f"/api/v1/auth/me?x={uuid.uuid4()}")
    text = (await client.get("/metrics")).text
    assert 'sprpa_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="/api/v1/auth/me",status="401"' in text
    assert "sprpa_outbox_backlog" in text


async def test_responses_carry_a_traceparent_continuing_the_callers_trace(service):
    _, client = service
    trace = "0af7651916cd43dd8448eb211c80319c"
    response = await client.get("/healthz", headers={"traceparent": f"00-{trace}-b7ad6b7169203331-01"})
    assert response.headers["traceparent"].split("-")[1] == trace


async def test_openapi_document_is_served(service):
    _, client = service
    document = (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/auth/me" in document["paths"]


def test_placeholder_secret_is_refused_outside_dev():
    with pytest.raises(ValidationError, match="placeholder"):
        RegistrySettings(environment="production", secret_key="change-me")
    keys = {"data_keys": '{"k1": "' + "A" * 43 + '="}', "data_key_current": "k1", "blind_index_key": "B" * 43 + "="}
    assert RegistrySettings(environment="production", secret_key="a-real-long-random-secret",
                            nats_seed_file="/run/secrets/registry.nk", **keys).port == 8101
    assert RegistrySettings(environment="dev").secret_key == "change-me"


def test_production_refuses_to_start_without_its_nats_credentials():
    keys = {"data_keys": '{"k1": "' + "A" * 43 + '="}', "data_key_current": "k1", "blind_index_key": "B" * 43 + "="}
    with pytest.raises(ValidationError, match="NATS_SEED_FILE"):
        RegistrySettings(environment="production", secret_key="a-real-long-random-secret", **keys)


def test_settings_read_the_service_prefix(monkeypatch):
    monkeypatch.setenv("SPRPA_REGISTRY_PORT", "9101")
    monkeypatch.setenv("SPRPA_PROVIDERS_PORT", "9102")
    settings = RegistrySettings()
    assert settings.port == 9101
    assert settings.jwks_url == "http://127.0.0.1:8000/.well-known/jwks.json"


def test_logs_are_json_and_never_carry_personal_data(capsys):
    configure_logging("registry")
    get_logger("test").info(
        "child registered", child_id="c-1", full_name="Siti Aminah", nik="3509114508120001", notes="works at night"
    )
    line = capsys.readouterr().out.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "child registered" and record["service"] == "registry"
    assert record["child_id"] == "c-1"
    for secret in ("Siti Aminah", "3509114508120001", "works at night"):
        assert secret not in line


@pytest.mark.parametrize("request_kwargs", [
    {"method": "POST", "url": "/probe/validate", "content": b'{"village_code": "35.09\\u0000", "hours_per_week": 1}',
     "headers": {"content-type": "application/json"}},
    {"method": "POST", "url": "/probe/validate", "content": b"name=a%00b",
     "headers": {"content-type": "application/x-www-form-urlencoded"}},
    {"method": "GET", "url": "/probe/crash?name=a%00b"},
], ids=["json", "form", "query"])
async def test_a_nul_character_anywhere_is_a_400_problem_before_it_reaches_the_database(service, request_kwargs):
    _, client = service
    response = await client.request(**request_kwargs)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "text may not contain NUL characters"


async def test_the_openapi_document_describes_errors_as_problem_documents(service):
    app, _ = service
    document = app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    operation = document["paths"]["/probe/validate"]["post"]
    for status in ("422", "4XX", "5XX"):
        assert list(operation["responses"][status]["content"]) == ["application/problem+json"]


async def test_a_statement_past_the_timeout_is_cut_off_and_answers_503(make_settings, issuer):
    router = APIRouter()

    @router.get("/probe/slow")
    async def slow(session: SessionDep) -> dict:
        await (await session.connection()).execute(text("SELECT pg_sleep(5)"))
        return {"finished": True}

    app = create_service_app(await make_settings(RegistrySettings, database_statement_timeout_seconds=0.3),
                             title="registry", description="", verifier=issuer.verifier(), routers=[router])
    async with running(app) as client:
        response = await client.get("/probe/slow")
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json" and response.headers["Retry-After"]
    assert "took too long" in response.json()["detail"]
