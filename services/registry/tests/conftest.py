"""The registry app on the test servers, a clock fixed at a known day, and small factories."""

from __future__ import annotations

import asyncpg
import pytest

from registry.main import create_app
from registry.settings import RegistrySettings
from registry.testing import KESILIR, TODAY, child_payload
from sprpa_shared.auth.principal import Role
from sprpa_shared.clock import MovableClock
from sprpa_shared.testing.apps import running


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
    connection = await asyncpg.connect(registry_app.state.settings.asyncpg_url)
    yield connection
    await connection.close()


@pytest.fixture
def as_(issuer):
    """Headers for a role in a place: as_('cadre'), as_('operator', '52.03'), as_('provider')..."""
    import uuid

    def headers(who: str, place: str | None = None) -> dict[str, str]:
        if who == "cadre":
            return issuer.headers(Role.VILLAGE_CADRE, village=place or KESILIR, subject=f"cadre-{place or KESILIR}")
        if who == "operator":
            return issuer.headers(Role.DISTRICT_OPERATOR, regencies=(place or "35.09",),
                                  subject=f"operator-{place or '35.09'}")
        if who == "admin":
            return issuer.headers(Role.NATIONAL_ADMIN)
        if who == "provider":
            return issuer.headers(Role.PROVIDER_STAFF, org=uuid.UUID(int=1))
        if who == "analyst":
            return issuer.headers(Role.ANALYST, regencies=("35.09",))
        raise ValueError(who)

    return headers



@pytest.fixture
def register(api, as_):
    async def make(who: str = "cadre", place: str | None = None, **overrides) -> dict:
        response = await api.post("/api/v1/children", json=child_payload(**overrides), headers=as_(who, place))
        assert response.status_code == 201, response.text
        return response.json()

    return make
