"""The providers app on the test servers, with a clock that can move."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from providers.main import create_app
from providers.settings import ProvidersSettings
from sprpa_shared.clock import MovableClock
from sprpa_shared.testing.apps import database, running

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
    async with database(providers_app) as connection:
        yield connection




@pytest.fixture
def organization(api, as_):
    async def make(name="Yayasan Pembinaan Sosial Masyarakat", regency="35.09", **overrides) -> dict:
        body = {"name": name, "kind": "ngo", "regency_code": regency,
                "contacts": {"person": "Koordinator", "phone": "+62 331 123456"}, **overrides}
        response = await api.post("/api/v1/organizations", json=body, headers=as_("operator", regency))
        assert response.status_code == 201, response.text
        return response.json()

    return make
