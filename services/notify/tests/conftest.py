"""The notify service on the test servers with a real local SMTP server, a movable clock, and a
publisher that sends events the way the owning services' relays do."""

from __future__ import annotations

import pytest

from notify.main import create_app
from notify.settings import NotifySettings
from notify.testing import NOW
from sprpa_shared.clock import MovableClock
from sprpa_shared.events.envelope import Envelope, EventData
from sprpa_shared.events.streams import ensure_service_stream
from sprpa_shared.ops.mailsink import MailSink
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database, running


@pytest.fixture
def mail():
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
async def notify(make_settings, issuer, mail, clock):
    settings = await make_settings(NotifySettings, smtp_host=mail.host, smtp_port=mail.port,
                                   delivery_sweep_seconds=0.05, reminder_sweep_seconds=0.05,
                                   retry_first_seconds=60.0)
    app = create_app(settings, verifier=issuer.verifier(), clock=clock)
    async with running(app) as api:
        app.state.client = api
        yield app


@pytest.fixture
def api(notify):
    return notify.state.client


@pytest.fixture
async def db(notify):
    async with database(notify) as connection:
        yield connection


class Publisher:
    """Publishes as the NATS admin (the notify user may publish nothing of the others')."""

    def __init__(self, app, js) -> None:
        self.app, self.js, self.sent, self.streams = app, js, [], set()

    async def __call__(self, data: EventData, *, at=None, envelope: Envelope | None = None) -> Envelope:
        if data.source_service not in self.streams:
            await ensure_service_stream(self.js, data.source_service, replicas=1)
            self.streams.add(data.source_service)
        envelope = envelope or Envelope.wrap(data, time=at or NOW)
        await self.js.publish(data.subject(), envelope.to_bytes(), headers={"Nats-Msg-Id": str(envelope.id)})
        self.sent.append(envelope.id)
        return envelope

    async def handled(self, timeout: float = 30) -> None:
        """Wait until the notify service has handled every event published so far."""

        async def caught_up() -> bool:
            async with database(self.app) as db:
                done = await db.fetchval("SELECT count(DISTINCT event_id) FROM inbox WHERE event_id = ANY($1)",
                                         self.sent)
            return done == len(set(self.sent))

        await wait_until(caught_up, timeout=timeout, what="notify handled the events")


@pytest.fixture
def publish(notify, nats_admin) -> Publisher:
    return Publisher(notify, nats_admin)
