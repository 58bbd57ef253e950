"""pytest fixtures every test suite of the project uses (`pytest_plugins = ["sprpa_shared.testing.plugin"]`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from sprpa_shared.auth.principal import Role
from sprpa_shared.settings import ServiceSettings
from sprpa_shared.testing.issuer import TestIssuer
from sprpa_shared.testing.servers import TestServers

ROOT = Path(__file__).resolve().parents[3]
S = TypeVar("S", bound=ServiceSettings)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory):
    started = TestServers.start(tmp_path_factory.mktemp("servers"))
    yield started
    started.stop()


@pytest.fixture(scope="session")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
async def clean(servers: TestServers) -> TestServers:
    """Every migrated database emptied and every stream deleted before the test."""
    await servers.reset()
    return servers


@pytest.fixture
def make_settings(clean: TestServers, issuer: TestIssuer) -> Callable:
    """Settings of a service pointed at the test servers, with quick retry delays."""

    async def make(settings_class: type[S], **overrides) -> S:
        service = settings_class.service
        database_url = await clean.database(service, ROOT / "services" / service / "migrations")
        defaults = dict(
            environment="test",
            database_url=database_url,
            nats_url=clean.nats_url,
            nats_seed_file=clean.nats_seed_file(service),
            oidc_issuer=issuer.issuer,
            oidc_audience=issuer.audience,
            consumer_ack_wait_seconds=5.0,
            consumer_backoff_seconds=[0.05, 0.1, 0.2, 0.4],
        )
        if "import_worker_niceness" in settings_class.model_fields:
            # The suite keeps both cores busy: a niced import would wait behind it (the bench measures the nice).
            defaults["import_worker_niceness"] = 0
        return settings_class(**{**defaults, **overrides})

    return make


@pytest.fixture
async def nats_admin(clean: TestServers):
    """A JetStream context of the NATS admin: publish as any service, inspect any stream."""
    client = await clean.connect_nats()
    try:
        yield client.jetstream()
    finally:
        await client.close()


PILOT_VILLAGE = "35.09.11.2007"  # Kesilir, Wuluhan, Jember: the default place of test tokens
PILOT_REGENCY = "35.09"
TEST_ORGANIZATION = uuid.UUID(int=1)


@pytest.fixture
def as_(issuer: TestIssuer) -> Callable[..., dict[str, str]]:
    """Headers for a role in a place: as_("cadre"), as_("operator", "52.03"), as_("provider")...

    Each place gets its own subject, so two cadres of different desa are two people.
    """

    def headers(who: str, place: str | uuid.UUID | None = None) -> dict[str, str]:
        if who == "cadre":
            village = place or PILOT_VILLAGE
            return issuer.headers(Role.VILLAGE_CADRE, village=village, subject=f"cadre-{village}")
        if who == "operator":
            regency = place or PILOT_REGENCY
            return issuer.headers(Role.DISTRICT_OPERATOR, regencies=(regency,), subject=f"operator-{regency}")
        if who == "admin":
            return issuer.headers(Role.NATIONAL_ADMIN)
        if who == "provider":
            organization = place or TEST_ORGANIZATION  # as_("provider", organization_id)
            return issuer.headers(Role.PROVIDER_STAFF, org=organization, subject=f"staff-{organization}")
        if who == "analyst":
            return issuer.headers(Role.ANALYST, regencies=(PILOT_REGENCY,))
        raise ValueError(f"no test role {who!r}")

    return headers
