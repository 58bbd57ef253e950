"""The registry app on the test servers, a clock fixed at a known day, and small factories."""

from __future__ import annotations

from datetime import timedelta

import pytest

from registry.main import create_app
from registry.settings import RegistrySettings
from registry.testing import TODAY, child_payload
from sprpa_shared.clock import MovableClock
from sprpa_shared.testing.apps import database, running


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(TODAY)


@pytest.fixture
async def registry_app(make_settings, issuer, clock, tmp_path_factory):
    app = create_app(await make_settings(RegistrySettings, import_spool_dir=tmp_path_factory.mktemp("spool")),
                     verifier=issuer.verifier(), clock=clock)
    async with running(app) as client:
        app.state.client = client
        yield app


@pytest.fixture
def api(registry_app):
    return registry_app.state.client


@pytest.fixture
async def db(registry_app):
    async with database(registry_app) as connection:
        yield connection





def registering_earlier(register, clock, *, days: int):
    """`register`, with the clock set `days` back while it registers: visits of this month then come
    after the registration, as they must."""

    async def earlier(*args, **kwargs):
        now = clock.now()
        clock.set(now - timedelta(days=days))
        try:
            return await register(*args, **kwargs)
        finally:
            clock.set(now)

    return earlier


@pytest.fixture
def register(api, as_):
    async def make(who: str = "cadre", place: str | None = None, **overrides) -> dict:
        response = await api.post("/api/v1/children", json=child_payload(**overrides), headers=as_(who, place))
        assert response.status_code == 201, response.text
        return response.json()

    return make
