"""The reports service on the test servers, and a publisher that sends events the way the
owning services' relays do (into their streams, with Nats-Msg-Id)."""

from __future__ import annotations

import pytest

from reports.main import create_app
from reports.settings import ReportsSettings
from reports.testing import NOW
from sprpa_shared.clock import MovableClock
from sprpa_shared.events.envelope import Envelope, EventData
from sprpa_shared.events.streams import ensure_service_stream
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database, running


@pytest.fixture
async def reports(make_settings, issuer):
    app = create_app(await make_settings(ReportsSettings), verifier=issuer.verifier(), clock=MovableClock(NOW))
    async with running(app) as api:
        yield app, api


class Publisher:
    """Publishes as the NATS admin: the reports' own user may publish nothing of the others'."""

    def __init__(self, app, js) -> None:
        self.app = app
        self.js = js
        self.sent = 0
        self.streams: set[str] = set()

    async def __call__(self, data: EventData, *, at=None) -> Envelope:
        if data.source_service not in self.streams:  # once: a stream request per event doubled the time
            await ensure_service_stream(self.js, data.source_service, replicas=1)
            self.streams.add(data.source_service)
        envelope = Envelope.wrap(data, time=at or NOW)
        await self.js.publish(data.subject(), envelope.to_bytes(), headers={"Nats-Msg-Id": str(envelope.id)})
        self.sent += 1
        return envelope

    async def applied(self, timeout: float = 60) -> None:
        """Wait until the reports have applied every event sent so far."""

        async def caught_up() -> bool:
            async with database(self.app) as db:
                return await db.fetchval("SELECT COALESCE(sum(events), 0) FROM rm_progress") >= self.sent

        await wait_until(caught_up, timeout=timeout, what="reports caught up with the events")


@pytest.fixture
def publish(reports, nats_admin) -> Publisher:
    return Publisher(reports[0], nats_admin)
