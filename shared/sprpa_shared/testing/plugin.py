"""pytest fixtures every test suite of the project uses (`pytest_plugins = ["sprpa_shared.testing.plugin"]`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

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
        return settings_class(
            environment="test",
            database_url=database_url,
            nats_url=clean.nats_url,
            oidc_issuer=issuer.issuer,
            oidc_audience=issuer.audience,
            consumer_ack_wait_seconds=5.0,
            consumer_backoff_seconds=[0.05, 0.1, 0.2, 0.4],
            **overrides,
        )

    return make
