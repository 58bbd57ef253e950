"""Webhooks for integrating systems: signed after Standard Webhooks (checked with the independent
`standardwebhooks` library, not our code), every event once, in order per subject, through a
receiver that fails and recovers; replay, rotation, pause; the place scope and the SSRF guard."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from nats.js.errors import NotFoundError
from standardwebhooks import Webhook

from notify.main import create_app
from notify.settings import NotifySettings
from notify.testing import NOW, VILLAGE, offer
from notify.webhooks.sender import send_once
from services.notify.tests.conftest import Publisher
from sprpa_contracts import events as ev
from sprpa_shared.auth.principal import Role
from sprpa_shared.events.streams import DEAD_LETTER_STREAM
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import bound_socket, running

REFERRAL_EVENT = "sprpa.referral.status_changed.v1"


class Receiver:
    """An integrating system's endpoint on this machine: it may fail its first answers."""

    def __init__(self, failures: int = 0) -> None:
        self.failures, self.received = failures, []
        self.socket = bound_socket()
        self.port = self.socket.getsockname()[1]
        app = FastAPI()

        @app.post("/events")
        async def events(request: Request) -> Response:
            body = await request.body()
            if self.failures > 0:
                self.failures -= 1
                return Response(status_code=503)
            self.received.append((dict(request.headers), body))
            return Response(status_code=204)

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    def ids(self) -> list[str]:
        return [headers["webhook-id"] for headers, _ in self.received]


@pytest.fixture
async def receiver():
    made = []

    async def make(failures: int = 0) -> Receiver:
        receiving = Receiver(failures)
        task = asyncio.create_task(receiving.server.serve(sockets=[receiving.socket]))
        await wait_until(lambda: receiving.server.started, timeout=10, what="the receiver")
        made.append((receiving, task))
        return receiving

    yield make
    for receiving, task in made:
        receiving.server.should_exit = True
        await task


def client(issuer, regencies=("35.09",), name="sim-jember"):
    return issuer.headers(Role.INTEGRATION, regencies=regencies, subject=name,
                          scopes=frozenset({"notify:webhooks"}))


async def register(api, headers, url, types=(REFERRAL_EVENT,), **more) -> dict:
    body = {"url": url, "event_types": list(types), **more}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    answer = await api.post("/api/v1/webhooks", headers={**headers, **key}, json=body)
    assert answer.status_code == 201, answer.text
    read = await api.get(answer.headers["Location"], headers=headers)
    assert read.status_code == 200 and read.json()["id"] == answer.json()["id"]
    again = await api.post("/api/v1/webhooks", headers={**headers, **key}, json=body)  # a retry after a lost answer
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == answer.json()
    return answer.json()


async def test_events_arrive_signed_once_each_and_in_order_per_subject_through_a_failing_receiver(
        notify, api, issuer, publish, receiver, clock):
    sim = client(issuer)
    receiving = await receiver(failures=3)
    hook = await register(api, sim, receiving.url)
    assert hook["secret"].startswith("whsec_") and hook["status"] == "active"
    assert "secret" not in (await api.get(f"/api/v1/webhooks/{hook['id']}", headers=sim)).json()

    first, second = uuid.uuid4(), uuid.uuid4()
    sent = [await publish(offer(first)), await publish(offer(second)),
            await publish(offer(first, status="accepted")), await publish(offer(first, status="in_service"))]
    await publish.handled()
    for minutes in range(1, 40):  # the back-off runs on the test clock
        clock.set(NOW + timedelta(minutes=minutes))
        await send_once(notify)
        if len(receiving.received) == len(sent):
            break
    await wait_until(lambda: len(receiving.received) == len(sent), timeout=20, what="every event delivered")

    assert sorted(receiving.ids()) == sorted(str(envelope.id) for envelope in sent), "each event exactly once"
    of_first = [envelope for envelope in sent if envelope.subject == str(first)]
    assert [i for i in receiving.ids() if i in {str(e.id) for e in of_first}] == [str(e.id) for e in of_first], \
        "the events of one referral arrive in the order they happened"
    verifier = Webhook(hook["secret"])
    for headers, body in receiving.received:
        event = verifier.verify(body, headers)  # raises on a bad signature or a stale timestamp
        assert event["type"] == REFERRAL_EVENT and "full_name" not in body.decode()

    listed = (await api.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=sim)).json()["items"]
    assert {item["status"] for item in listed} == {"delivered"}
    assert sum(item["attempts"] for item in listed) == len(sent) + 3, "three failed tries, then each once"
    assert all(item["response_status"] == 204 for item in listed)


async def test_replay_rotation_pause_and_a_test_event(notify, api, issuer, publish, receiver, clock):
    sim = client(issuer)
    receiving = await receiver()
    hook = await register(api, sim, receiving.url)
    envelope = await publish(offer())
    await wait_until(lambda: receiving.received, timeout=20, what="the first delivery")

    [delivery] = (await api.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=sim)).json()["items"]
    replayed = await api.post(f"/api/v1/webhooks/{hook['id']}/replay", headers=sim,
                              json={"delivery_id": delivery["id"]})
    assert replayed.status_code == 202 and replayed.json() == {"replayed": 1}
    await wait_until(lambda: len(receiving.received) == 2, timeout=20, what="the replay")
    assert receiving.ids() == [str(envelope.id)] * 2, "a replay keeps the webhook-id: receivers dedupe on it"
    assert (await api.post(f"/api/v1/webhooks/{hook['id']}/replay", headers=sim,
                           json={"since": (NOW - timedelta(hours=1)).isoformat()})).json() == {"replayed": 1}
    await wait_until(lambda: len(receiving.received) == 3, timeout=20, what="the range replayed")

    rotated = (await api.post(f"/api/v1/webhooks/{hook['id']}/rotate", headers=sim)).json()
    assert rotated["secret"] != hook["secret"]
    test = await api.post(f"/api/v1/webhooks/{hook['id']}/test", headers=sim)
    assert test.status_code == 202
    await wait_until(lambda: len(receiving.received) == 4, timeout=20, what="the test event")
    headers, body = receiving.received[-1]
    for secret in (hook["secret"], rotated["secret"]):  # both hold during the grace period
        assert Webhook(secret).verify(body, headers)["type"] == "sprpa.webhook.test.v1"

    assert (await api.post(f"/api/v1/webhooks/{hook['id']}/pause", headers=sim)).json()["status"] == "paused"
    await publish(offer())
    await publish.handled()
    assert await send_once(notify) == 0 and len(receiving.received) == 4, "a paused endpoint gets nothing"
    assert (await api.post(f"/api/v1/webhooks/{hook['id']}/resume", headers=sim)).json()["status"] == "active"
    await wait_until(lambda: len(receiving.received) == 5, timeout=20, what="the held event after resume")


async def test_a_client_stays_in_its_kabupaten_and_sees_only_its_own_endpoints(api, issuer, publish, receiver, as_):
    sim = client(issuer)
    receiving = await receiver()
    refused = await api.post("/api/v1/webhooks", headers=sim, json={
        "url": receiving.url, "event_types": [REFERRAL_EVENT], "regency_codes": ["52.03"]})
    assert refused.status_code == 403
    hook = await register(api, sim, receiving.url)
    lombok = offer().model_copy(update={"village_code": "52.03.20.2006"})
    jember = offer()
    await publish(lombok)
    sent = await publish(jember)
    await wait_until(lambda: receiving.received, timeout=20, what="the Jember event")
    await publish.handled()
    assert receiving.ids() == [str(sent.id)], "another kabupaten's event never leaves"

    other = client(issuer, name="sim-lain")
    assert (await api.get(f"/api/v1/webhooks/{hook['id']}", headers=other)).status_code == 404
    assert (await api.get("/api/v1/webhooks", headers=other)).json()["items"] == []
    assert (await api.get("/api/v1/webhooks", headers=as_("operator"))).status_code == 403
    no_scope = issuer.headers(Role.INTEGRATION, regencies=("35.09",), subject="sim-jember")
    assert (await api.get("/api/v1/webhooks", headers=no_scope)).status_code == 403
    bad = await api.post("/api/v1/webhooks", headers=sim, json={"url": receiving.url, "event_types": ["x.y"]})
    assert bad.status_code == 422 and "unknown event types" in bad.text


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/events", "https://127.0.0.1/events", "https://10.0.0.1/hook",
                                 "https://169.254.169.254/latest", "https://[::1]/x", "http://example.org/hook",
                                 "https://user:pw@example.org/hook"])
async def test_outside_dev_and_test_a_webhook_cannot_point_inside(make_settings, issuer, url):
    settings = await make_settings(NotifySettings, webhook_internal_targets=False)
    app = create_app(settings, verifier=issuer.verifier())
    async with running(app) as api:
        answer = await api.post("/api/v1/webhooks", headers=client(issuer),
                                json={"url": url, "event_types": [REFERRAL_EVENT]})
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert (await api.get("/api/v1/webhooks", headers=client(issuer))).json()["items"] == []


async def test_an_endpoint_failing_for_five_days_is_disabled_and_the_district_told(
        notify, api, issuer, publish, receiver, clock, as_, db):
    sim = client(issuer)
    receiving = await receiver(failures=10_000)
    hook = await register(api, sim, receiving.url)

    async def state():
        return await db.fetchrow("SELECT status, failing_since FROM webhook_endpoints WHERE id = $1::uuid",
                                 hook["id"])

    await publish(offer())
    await wait_until(lambda: _failing_since(state), timeout=20, what="the first failure")
    clock.set(NOW + timedelta(days=4))  # the first delivery gives up after 3 days; a new event fails too
    await publish(offer(at=NOW + timedelta(days=4)), at=NOW + timedelta(days=4))
    await publish.handled()
    await wait_until(lambda: db.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status = 'failed'"),
                     timeout=20, what="the first delivery given up")
    assert (await state())["status"] == "active", "four days of failures: not yet"

    clock.set(NOW + timedelta(days=5, hours=2))
    await wait_until(lambda: _status(state, "disabled"), timeout=20, what="the endpoint disabled")
    [told] = (await api.get("/api/v1/notifications", headers=as_("operator"))).json()["items"]
    assert told["kind"] == "webhook.disabled" and "127.0.0.1" in told["title"]
    resumed = (await api.post(f"/api/v1/webhooks/{hook['id']}/resume", headers=sim)).json()
    assert resumed["status"] == "active" and resumed["failing_since"] is None


async def _failing_since(state) -> bool:
    return (await state())["failing_since"] is not None


async def _status(state, status: str) -> bool:
    return (await state())["status"] == status


async def test_which_events_endpoints_want_is_read_once_and_a_change_made_elsewhere_is_heard(
        notify, api, issuer, publish, db):
    """Most events go to no endpoint: notify reads which (type, kabupaten) pairs are wanted once and
    keeps it while it listens to the endpoints' changes. A change another replica commits (written
    here straight to the database) is heard at once: the next event goes where it is now wanted,
    and an endpoint disabled elsewhere gets nothing more."""
    wanted = notify.state.webhooks_wanted
    await wait_until(lambda: wanted.listening, timeout=10, what="notify listening to the endpoints' changes")
    for _ in range(5):
        await publish(offer(uuid.uuid4()))
    await publish.handled()
    assert wanted.reads == 1, "five events, one read of the wanted pairs"
    assert await db.fetchval("SELECT count(*) FROM webhook_deliveries") == 0

    endpoint = uuid.uuid4()
    await db.execute("INSERT INTO webhook_endpoints (id, owner, regency_codes, url, event_types, secret, created_at, "
                     "updated_at) VALUES ($1, 'sim-jember', '{35.09}', 'http://127.0.0.1:9/events', $2, 'sealed', "
                     "now(), now())", endpoint, [REFERRAL_EVENT])
    await wait_until(lambda: wanted.reads == 1 and not wanted.kept, timeout=10, what="the change heard")
    heard = await publish(offer(uuid.uuid4()))
    await publish.handled()
    assert await db.fetchval("SELECT event_id FROM webhook_deliveries WHERE endpoint_id = $1", endpoint) == heard.id

    await db.execute("UPDATE webhook_endpoints SET status = 'disabled' WHERE id = $1", endpoint)
    await wait_until(lambda: not wanted.kept, timeout=10, what="the endpoint's disabling heard")
    await publish(offer(uuid.uuid4()))
    await publish.handled()
    assert await db.fetchval("SELECT count(*) FROM webhook_deliveries") == 1
    assert wanted.reads == 3


async def test_an_event_no_endpoint_wants_and_that_makes_no_notice_is_acknowledged_without_a_transaction(
        notify, publish, db):
    """Once notify keeps which pairs are wanted, a flag's case events (they make no notice) leave no
    inbox row: nothing was done, so nothing needs to stay undone when they come again. A case
    withdrawn, which makes a notice, is handled as before; so is an event an endpoint comes to want."""
    wanted = notify.state.webhooks_wanted
    await wait_until(lambda: wanted.listening, timeout=10, what="notify listening to the endpoints' changes")
    await publish(offer(uuid.uuid4()))
    await publish.handled()
    assert wanted.kept

    child = uuid.uuid4()
    moved = [await publish(ev.CaseStatusChanged(child_id=child, village_code=VILLAGE, from_status=before,
                                                to_status=after))
             for before, after in (("identified", "assessed"), ("assessed", "flagged"), ("referred", "withdrawn"))]
    await wait_until(lambda: _in_inbox(db, moved[-1].id), what="the withdrawal handled")
    assert await db.fetchval("SELECT count(*) FROM inbox WHERE event_id = ANY($1)", [e.id for e in moved[:2]]) == 0
    assert await db.fetchval("SELECT count(*) FROM notifications WHERE kind = 'child.withdrawn'") == 1

    endpoint = uuid.uuid4()
    await db.execute("INSERT INTO webhook_endpoints (id, owner, regency_codes, url, event_types, secret, created_at, "
                     "updated_at) VALUES ($1, 'sim-jember', '{35.09}', 'http://127.0.0.1:9/events', $2, 'sealed', "
                     "now(), now())", endpoint, [ev.CaseStatusChanged.event_type])
    await wait_until(lambda: not wanted.kept, timeout=10, what="the change heard")
    now_wanted = await publish(ev.CaseStatusChanged(child_id=child, village_code=VILLAGE, from_status="assessed",
                                                    to_status="flagged"))
    await wait_until(lambda: _in_inbox(db, now_wanted.id), what="the wanted event handled")
    assert await db.fetchval("SELECT event_id FROM webhook_deliveries WHERE endpoint_id = $1", endpoint) == \
        now_wanted.id


async def _in_inbox(db, event_id) -> bool:
    return await db.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", event_id) == 1


async def test_an_imports_event_no_endpoint_wants_is_acknowledged_unread_and_one_wanted_is_queued(
        notify, publish, nats_admin, db):
    """An import announces a thousand children an event. Notify asks the event's subject (its
    kabupaten) whether an endpoint may want it before reading it: one no endpoint wants is
    acknowledged unread (probed here with bytes that are no event at all: read, they would be
    set aside as poison), one an endpoint comes to want is read and queued for it."""
    wanted = notify.state.webhooks_wanted
    await wait_until(lambda: wanted.listening, timeout=10, what="notify listening to the endpoints' changes")
    await publish(offer(uuid.uuid4()))
    await publish.handled()
    assert wanted.kept

    imported = ev.ChildrenImported(import_id=uuid.uuid4(), regency_code="35.09", children=[ev.ChildRegistered(
        child_id=uuid.uuid4(), village_code=VILLAGE, sex="female", birth_year=2013, classification="at_risk")])
    await publish(imported)  # the stream exists; what follows is not an event
    await nats_admin.publish(imported.subject(), b"not an event", headers={"Nats-Msg-Id": str(uuid.uuid4())})
    after = await publish(ev.CaseStatusChanged(child_id=uuid.uuid4(), village_code=VILLAGE, from_status="referred",
                                               to_status="withdrawn"))  # makes a notice: read and recorded
    await wait_until(lambda: _in_inbox(db, after.id), what="the registry's event after the import's handled")
    spec = next(consumer.spec for consumer in notify.state.bus.consumers if consumer.spec.durable == "notify-registry")

    async def settled() -> bool:
        info = await nats_admin.consumer_info(spec.stream, spec.durable)
        return info.num_pending == 0 and info.num_ack_pending == 0

    await wait_until(settled, timeout=10, what="the import's events acknowledged")
    with contextlib.suppress(NotFoundError):
        assert (await nats_admin.stream_info(DEAD_LETTER_STREAM)).state.messages == 0
    assert await db.fetchval("SELECT count(*) FROM inbox WHERE type = $1", ev.ChildrenImported.event_type) == 0

    endpoint = uuid.uuid4()
    await db.execute("INSERT INTO webhook_endpoints (id, owner, regency_codes, url, event_types, secret, created_at, "
                     "updated_at) VALUES ($1, 'sim-jember', '{35.09}', 'http://127.0.0.1:9/events', $2, 'sealed', "
                     "now(), now())", endpoint, [ev.ChildrenImported.event_type])
    await wait_until(lambda: not wanted.kept, timeout=10, what="the change heard")
    now_wanted = await publish(ev.ChildrenImported(import_id=uuid.uuid4(), regency_code="35.09",
                                                   children=imported.children))
    await wait_until(lambda: _in_inbox(db, now_wanted.id), what="the wanted import's event handled")
    assert await db.fetchval("SELECT event_id FROM webhook_deliveries WHERE endpoint_id = $1", endpoint) == \
        now_wanted.id


async def test_an_event_queued_for_an_endpoint_is_sent_at_once_not_at_the_next_sweep(
        make_settings, issuer, mail, clock, nats_admin, receiver):
    """The queue's insert wakes the sender (a NOTIFY as it commits): an integrator hears of a change as
    it is made, and an idle notify sweeps for retries only (webhook_sweep_seconds). Here the sweep
    is ten minutes away: before, the event waited for it."""
    settings = await make_settings(NotifySettings, smtp_host=mail.host, smtp_port=mail.port,
                                   webhook_sweep_seconds=600.0)
    app = create_app(settings, verifier=issuer.verifier(), clock=clock)
    async with running(app) as api:
        receiving = await receiver()
        await register(api, client(issuer), receiving.url)
        sent = await Publisher(app, nats_admin)(offer(uuid.uuid4()))
        await wait_until(lambda: receiving.ids() == [str(sent.id)], timeout=20, what="the event sent at once")
