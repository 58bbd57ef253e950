"""The providers app on the test servers, with a clock that can move."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from providers.main import create_app
from providers.settings import ProvidersSettings
from sprpa_shared.auth.principal import Role
from sprpa_shared.clock import MovableClock
from sprpa_shared.testing.apps import running

TODAY = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(TODAY)


@pytest.fixture
async def providers_app(make_settings, issuer, clock):
    app = create_app(await make_settings(ProvidersSettings), verifier=issuer.verifier(), clock=clock)
    async with running(app) as client:
        app.state.client = client
        yield app


@pytest.fixture
def api(providers_app):
    return providers_app.state.client


@pytest.fixture
async def db(providers_app):
    connection = await asyncpg.connect(providers_app.state.settings.asyncpg_url)
    yield connection
    await connection.close()


@pytest.fixture
def as_(issuer):
    def headers(who: str, place: str | None = None) -> dict[str, str]:
        if who == "operator":
            return issuer.headers(Role.DISTRICT_OPERATOR, regencies=(place or "35.09",), subject=f"op-{place}")
        if who == "admin":
            return issuer.headers(Role.NATIONAL_ADMIN)
        if who == "provider":
            return issuer.headers(Role.PROVIDER_STAFF, org=uuid.UUID(int=1))
        if who == "cadre":
            return issuer.headers(Role.VILLAGE_CADRE, village="35.09.11.2007")
        raise ValueError(who)

    return headers


@pytest.fixture
def organization(api, as_):
    async def make(name="Yayasan Pembinaan Sosial Masyarakat", regency="35.09", **overrides) -> dict:
        body = {"name": name, "kind": "ngo", "regency_code": regency,
                "contacts": {"person": "Koordinator", "phone": "+62 331 123456"}, **overrides}
        response = await api.post("/api/v1/organizations", json=body, headers=as_("operator", regency))
        assert response.status_code == 201, response.text
        return response.json()

    return make
