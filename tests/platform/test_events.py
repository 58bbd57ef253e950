"""The event guarantees every service relies on, against real PostgreSQL and real NATS."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import nats
import pytest
from nats.js.errors import NotFoundError
from sqlalchemy import text

from sprpa_shared.db import (
    DriverSessions,
    Part,
    after_commit,
    create_engine,
    driver,
    session_factory,
    together,
    transaction,
)
from sprpa_shared.events import outbox
from sprpa_shared.events.consumer import BatchHandler, EventConsumer, handle_all, handle_once, only_when
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.events.outbox import NOTIFY_CHANNEL, emit, emit_all
from sprpa_shared.events.relay import OutboxRelay
from sprpa_shared.events.streams import DEAD_LETTER_STREAM, ensure_consumer
from sprpa_shared.observability import Metrics
from sprpa_shared.testing import wait_until
from tests.platform.conftest import ALWAYS_FAILS, flag_subscription, flagged, record_effect


async def emit_committed(app, event) -> Envelope:
    async with transaction(app.state.sessions) as session:
        return await emit(session, event)


async def consumer_caught_up(js, stream: str, durable: str) -> bool:
    """Every message of the stream has been acknowledged by the durable consumer (False until the
    consumer's task has created it)."""
    last = (await js.stream_info(stream)).state.last_seq
    try:
        info = await js.consumer_info(stream, durable)
    except NotFoundError:
        return False
    return info.ack_floor.stream_seq >= last and info.num_ack_pending == 0


async def test_event_written_in_one_service_reaches_another_services_consumer(pair):
    event = flagged()
    envelope = await emit_committed(pair.registry, event)

    assert await wait_until(pair.effects, what="the referral consumer's effect") == [event.child_id]
    rows = await pair.registry_rows("SELECT subject, published_at FROM outbox")
    assert rows[0]["subject"] == "sprpa.registry.case.flagged.35.09"
    await wait_until(lambda: _all_marked(pair), what="published rows are kept, marked published")
    message = await pair.registry.state.bus.js.get_msg("REGISTRY", 1)
    assert message.headers["Nats-Msg-Id"] == str(envelope.id)
    assert Envelope.from_bytes(message.data).type == "sprpa.case.flagged.v1"


async def test_an_event_committed_without_its_wake_up_is_published_by_the_relays_poll(pair):
    """The poll covers a NOTIFY missed while the relay's listener was being made again: between two
    polls it looks whether anything waits (one statement) and claims only then."""
    event = flagged()
    prepared = outbox.prepare(event)
    connection = await asyncpg.connect(pair.registry.state.settings.asyncpg_url)
    try:
        await connection.execute(  # the outbox row as emit writes it, without the pg_notify
            "INSERT INTO outbox (id, type, subject, envelope, created_at) VALUES ($1, $2, $3, $4::json, now())",
            prepared.id, prepared.type, prepared.subject, prepared.envelope)
    finally:
        await connection.close()

    assert await wait_until(pair.effects, timeout=10, what="the polled event's effect") == [event.child_id]


async def test_a_claimed_event_is_published_byte_for_byte_as_it_was_written(pair):
    """The outbox keeps an envelope as written (`json`, not parsed into `jsonb` and printed again):
    what a claim publishes is what a hand-over publishes from memory, and writing it costs no parse."""
    event = flagged()
    prepared = outbox.prepare(event)
    connection = await asyncpg.connect(pair.registry.state.settings.asyncpg_url)
    try:
        async with connection.transaction():
            await outbox.write(connection, [prepared])  # with its NOTIFY: the relay claims it
    finally:
        await connection.close()

    assert await wait_until(pair.effects, what="the claimed event's effect") == [event.child_id]
    message = await pair.registry.state.bus.js.get_last_msg("REGISTRY", prepared.subject)
    assert message.data == prepared.envelope.encode()


async def test_event_committed_while_nats_is_down_is_delivered_when_it_is_back(pair, servers):
    event = flagged()

    async def commit_while_down():
        await emit_committed(pair.registry, event)
        rows = await pair.registry_rows("SELECT published_at FROM outbox")
        assert [row["published_at"] for row in rows] == [None]

    await servers.nats_is_down_for(commit_while_down)

    assert await wait_until(pair.effects, timeout=30, what="delivery after NATS restart") == [event.child_id]
    await wait_until(lambda: _all_marked(pair), what="the row marked published")


async def test_a_publish_jetstream_refuses_is_recorded_and_retried_without_stalling_the_outbox(pair):
    """A claimed row whose publish fails keeps its lock holder's word: the failure is recorded on the
    claiming connection (a second connection would wait on the row lock for ever, as it once did after
    a NATS kill), and the events around it still go out."""
    async with transaction(pair.registry.state.sessions) as session:
        await (await session.connection()).execute(text(
            "INSERT INTO outbox (id, type, subject, envelope) "
            "VALUES (gen_random_uuid(), 'sprpa.test.v1', 'sprpa.nowhere.no-stream', '{}')"))
    first, second = flagged(), flagged()
    await emit_committed(pair.registry, first)

    async def refusal_recorded() -> bool:
        rows = await pair.registry_rows(
            "SELECT attempts, last_error FROM outbox WHERE subject = 'sprpa.nowhere.no-stream'"
            " AND published_at IS NULL AND attempts >= 2")
        return bool(rows) and "NoStreamResponseError" in rows[0]["last_error"]

    await wait_until(refusal_recorded, timeout=30, what="the refused publish recorded and retried")
    await emit_committed(pair.registry, second)
    effects = await wait_until(lambda: _two(pair), timeout=30, what="both events delivered past the refused one")
    assert sorted(effects) == sorted([first.child_id, second.child_id])


async def _two(pair):
    effects = await pair.effects()
    return effects if len(effects) == 2 else None


@pytest.mark.parametrize("pair", [False], indirect=True)
@pytest.mark.parametrize("handed_over", [True, False], ids=["the service's session", "another process's"])
async def test_the_events_of_one_change_are_written_and_published_in_their_order_handed_over_or_claimed(
        pair, handed_over):
    """The service's own transactions hand their events to its relay as they commit: published at
    once, without a NOTIFY or a claim. A process without the relay (the import worker) wakes it by
    NOTIFY, and it claims them."""
    events = [flagged() for _ in range(5)]
    settings = pair.registry.state.settings
    listener = await asyncpg.connect(settings.asyncpg_url)
    woken: list[str] = []
    await listener.add_listener(NOTIFY_CHANNEL, lambda *args: woken.append(args[2]))
    engine = create_engine(settings.sqlalchemy_url)
    sessions = pair.registry.state.sessions if handed_over else session_factory(engine)
    try:
        async with transaction(sessions) as session:
            envelopes = await emit_all(session, events)
        js = pair.registry.state.bus.js
        await wait_until(lambda: _stream_has(js, 5), what="the events published")
        await listener.fetchval("SELECT 1")  # a NOTIFY of the commit has come by the answer
    finally:
        await listener.close()
        await engine.dispose()

    rows = await pair.registry_rows("SELECT id FROM outbox ORDER BY position")
    assert [row["id"] for row in rows] == [envelope.id for envelope in envelopes]
    published = [Envelope.from_bytes((await js.get_msg("REGISTRY", sequence)).data).id for sequence in range(1, 6)]
    assert published == [envelope.id for envelope in envelopes]
    await wait_until(lambda: _all_marked(pair), what="the outbox rows marked published")
    claimed = pair.registry.state.metrics.registry.get_sample_value("sprpa_outbox_claimed_total")
    if handed_over:
        assert (woken, claimed) == ([], 0), "handed over: no NOTIFY, nothing claimed"
    else:
        assert (len(woken), claimed) == (1, 5), "one NOTIFY at commit, the five claimed"


async def _all_marked(pair) -> bool:
    return not await pair.registry_rows("SELECT id FROM outbox WHERE published_at IS NULL")


async def test_a_handed_over_event_jetstream_refuses_is_claimed_and_retried_by_the_relay(pair):
    """A publish of a handed-over event that fails (here refused: no stream takes its subject) is
    left to the relay's claim, which records the error and retries with back-off."""
    relay = pair.registry.state.bus.relay
    refused = outbox.Prepared(uuid.uuid4(), "sprpa.test.v1", "sprpa.nowhere.no-stream", "{}", datetime.now(UTC))
    async with transaction(pair.registry.state.sessions) as session:
        await together(session, [Part("INSERT INTO outbox (id, type, subject, envelope) VALUES ($1, $2, $3, '{}')",
                                      (refused.id, refused.type, refused.subject))])
        after_commit(session, lambda: relay.take([refused]))

    async def refusal_recorded() -> bool:
        rows = await pair.registry_rows("SELECT last_error FROM outbox WHERE published_at IS NULL AND attempts >= 1")
        return bool(rows) and "NoStreamResponseError" in rows[0]["last_error"]

    await wait_until(refusal_recorded, timeout=30, what="the refused hand-over claimed and its error recorded")
    assert pair.registry.state.metrics.registry.get_sample_value("sprpa_outbox_claimed_total") >= 1


async def _instead_of_the_services_relay(pair, metrics: Metrics, **options) -> OutboxRelay:
    """The registry's relay stopped, and a relay of the test's own on its outbox (not started)."""
    await pair.registry.state.bus.relay.stop()
    await wait_until(lambda: not pair.registry.state.bus.workers_alive, timeout=10, what="the service's relay stopped")
    return OutboxRelay(dsn=pair.registry.state.settings.asyncpg_url, js=pair.registry.state.bus.js, metrics=metrics,
                       **options)


async def test_a_relay_that_does_not_claim_publishes_what_it_is_handed_and_leaves_the_rest(pair):
    """A process beside a service (the import worker) runs a relay that publishes only what it is
    handed (`claiming=False`), written without the NOTIFY (`outbox.write(wake=False)`): it marks
    those published and leaves every other row to the service's relay (stopped here)."""
    relay = await _instead_of_the_services_relay(pair, Metrics("registry"))
    handed, left = (outbox.prepare(flagged()) for _ in range(2))
    connection = await asyncpg.connect(pair.registry_url)
    running = asyncio.create_task(relay.run(claiming=False))
    try:
        await connection.add_listener(NOTIFY_CHANNEL, lambda *args: woken.append(args))
        woken: list = []
        async with connection.transaction():
            await outbox.write(connection, [left])
        async with connection.transaction():
            await outbox.write(connection, [handed], wake=False)
        relay.take([handed])

        async def marked() -> bool:
            return await connection.fetchval("SELECT published_at IS NOT NULL FROM outbox WHERE id = $1", handed.id)

        await wait_until(marked, timeout=10, what="the handed-over event published and marked")
        assert await connection.fetchval("SELECT published_at FROM outbox WHERE id = $1", left.id) is None
        await connection.execute(f"NOTIFY {NOTIFY_CHANNEL}, 'marker'")
        await wait_until(lambda: any(args[3] == "marker" for args in woken), timeout=10, what="the marker")
        assert [args[3] for args in woken] == ["", "marker"], "the handed-over event's commit woke no relay"
        message = await pair.registry.state.bus.js.get_last_msg("REGISTRY", handed.subject)
        assert message.headers["Nats-Msg-Id"] == str(handed.id)
    finally:
        await relay.stop()
        await running
        await relay.close()
        await connection.close()


async def test_events_handed_over_as_a_relay_starts_are_marked_not_claimed_again(pair):
    """Events handed over before the relay's first claim has made its connections (a service's
    first commits as it starts) are published and marked once: the hand-over waits for the pool
    the claim is making, not handing them to the claim to publish a second time."""
    metrics = Metrics("registry")
    relay = await _instead_of_the_services_relay(pair, metrics)
    handed = [outbox.prepare(flagged()) for _ in range(5)]
    connection = await asyncpg.connect(pair.registry_url)
    running: asyncio.Task | None = None
    try:
        async with connection.transaction():
            await outbox.write(connection, handed, wake=False)
        relay.take(handed)
        running = asyncio.create_task(relay.run())

        async def marked() -> bool:
            return await connection.fetchval("SELECT bool_and(published_at IS NOT NULL) FROM outbox")

        await wait_until(marked, timeout=10, what="the handed-over events published and marked")
        assert metrics.registry.get_sample_value("sprpa_outbox_claimed_total") == 0
        assert await connection.fetchval("SELECT sum(attempts) FROM outbox") == 5, "each published once"
    finally:
        await relay.stop()
        if running is not None:
            await running
        await relay.close()
        await connection.close()


async def test_rolled_back_transaction_publishes_nothing(pair):
    rolled_back, committed = flagged(), flagged()
    with pytest.raises(RuntimeError):
        async with transaction(pair.registry.state.sessions) as session:
            await emit(session, rolled_back)
            raise RuntimeError("the change failed")
    await emit_committed(pair.registry, committed)

    assert await wait_until(pair.effects) == [committed.child_id]
    assert len(await pair.registry_rows("SELECT id FROM outbox")) == 1
    assert (await pair.registry.state.bus.js.stream_info("REGISTRY")).state.messages == 1


async def test_duplicate_publish_past_the_dedup_window_has_one_effect(pair):
    event = flagged()
    await emit_committed(pair.registry, event)
    await wait_until(pair.effects)
    js = pair.registry.state.bus.js
    original = await js.get_msg("REGISTRY", 1)
    # Same event again under another message id: what a publish after the dedup window looks like.
    await js.publish(original.subject, original.data, headers={"Nats-Msg-Id": "republished-later"})

    await wait_until(lambda: consumer_caught_up(js, "REGISTRY", "referral-flags"), what="consumer caught up")
    assert (await js.stream_info("REGISTRY")).state.messages == 2
    assert await pair.effects() == [event.child_id]


async def test_replaying_the_stream_has_no_second_effect(pair):
    events = [flagged() for _ in range(3)]
    for event in events:
        await emit_committed(pair.registry, event)
    await wait_until(lambda: _count_is(pair, 3))
    js = pair.registry.state.bus.js

    # Replay: the durable consumer is deleted; the running consumer re-creates it from the start.
    await js.delete_consumer("REGISTRY", "referral-flags")
    await wait_until(lambda: _consumer_redelivered(js), timeout=30, what="replay from the start")

    await wait_until(lambda: consumer_caught_up(js, "REGISTRY", "referral-flags"))
    assert sorted(await pair.effects()) == sorted(event.child_id for event in events)


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_redelivery_after_a_lost_ack_has_one_effect(pair):
    """The handler committed but the ack never reached the server: the redelivery is a no-op."""
    settings = pair.referral.state.settings.model_copy(update={"consumer_ack_wait_seconds": 1.0})
    subscription = flag_subscription(settings)
    spec = subscription.spec
    js = pair.registry.state.bus.js
    event = flagged()
    await emit_committed(pair.registry, event)
    await wait_until(lambda: _stream_has(js, 1))

    consumer = EventConsumer(
        spec=spec, handlers=subscription.handlers, sessions=pair.referral.state.sessions, js=js,
        metrics=pair.referral.state.metrics,
    )
    await ensure_consumer(js, spec)
    raw = await js.pull_subscribe_bind(spec.durable, stream=spec.stream)
    (message,) = await raw.fetch(1, timeout=5)
    await consumer._handle(Envelope.from_bytes(message.data))  # effect committed, then "crash": no ack
    await raw.unsubscribe()

    task = asyncio.create_task(consumer.run())
    try:
        await wait_until(lambda: consumer_caught_up(js, "REGISTRY", spec.durable), timeout=20)
        info = await js.consumer_info("REGISTRY", spec.durable)
        assert info.delivered.consumer_seq == 2, "the message was delivered a second time"
    finally:
        await consumer.stop()
        await task
    effects = await pair.effects()
    assert effects.count(event.child_id) == 1


async def test_always_failing_handler_dead_letters_and_the_others_still_flow(pair):
    poison, good = flagged(ALWAYS_FAILS), flagged()
    await emit_committed(pair.registry, poison)
    await emit_committed(pair.registry, good)
    js = pair.registry.state.bus.js
    await js.publish("sprpa.registry.case.flagged.35.09", b"not json at all", headers={"Nats-Msg-Id": "garbage"})
    later = flagged()
    await emit_committed(pair.registry, later)

    await wait_until(lambda: _stream_has(js, 2, DEAD_LETTER_STREAM), timeout=20, what="two dead letters")
    assert sorted(await wait_until(lambda: _count_is(pair, 2))) == sorted([good.child_id, later.child_id])
    dead = {}
    for sequence in (1, 2):
        letter = await js.get_msg(DEAD_LETTER_STREAM, sequence)
        dead[letter.headers["Sprpa-Error"]] = letter
    assert set(dead) == {"RuntimeError", "PoisonMessage"}
    assert Envelope.from_bytes(dead["RuntimeError"].data).data["child_id"] == str(ALWAYS_FAILS)
    assert dead["RuntimeError"].headers["Sprpa-Original-Subject"] == "sprpa.registry.case.flagged.35.09"
    await wait_until(lambda: consumer_caught_up(js, "REGISTRY", "referral-flags"))


async def _count_is(pair, n: int):
    effects = await pair.effects()
    return effects if len(effects) == n else None


async def _stream_has(js, n: int, stream: str = "REGISTRY") -> bool:
    return (await js.stream_info(stream)).state.messages >= n


async def _consumer_redelivered(js) -> bool:
    try:
        info = await js.consumer_info("REGISTRY", "referral-flags")
    except nats.js.errors.NotFoundError:
        return False
    return info.delivered.stream_seq >= 3 and info.num_pending == 0



class _RecordingConsumer(EventConsumer):
    """The consumer as it is, noting the event ids of each fetch it handles."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.fetches: list[list[uuid.UUID]] = []

    async def process_all(self, messages) -> None:
        self.fetches.append([Envelope.from_bytes(message.data).id for message in messages])
        await super().process_all(messages)


async def _run_consumer_until_caught_up(pair, *, timeout: float = 30,
                                        driver_only: bool = False) -> list[list[uuid.UUID]]:
    """The referral's flag consumer, started once every message is in the stream, so its first
    fetch holds what has arrived of them (all, unless the machine is slow); the event ids of each
    fetch it handled. `driver_only`: its transactions are plain asyncpg ones (DriverSessions)."""
    subscription = flag_subscription(pair.referral.state.settings)
    js = pair.registry.state.bus.js
    sessions = DriverSessions(pair.referral_url) if driver_only else pair.referral.state.sessions
    consumer = _RecordingConsumer(spec=subscription.spec, handlers=subscription.handlers,
                                  sessions=sessions, js=js, metrics=pair.referral.state.metrics)
    task = asyncio.create_task(consumer.run())
    try:
        await wait_until(lambda: consumer_caught_up(js, "REGISTRY", subscription.spec.durable), timeout=timeout,
                         what="the consumer caught up")
    finally:
        await consumer.stop()
        await task
        if driver_only:
            await sessions.close()
    return consumer.fetches


@pytest.mark.parametrize("driver_only", [False, True], ids=["session", "driver-only"])
@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_the_events_of_one_fetch_commit_in_one_transaction_and_one_seen_before_has_no_second_effect(
        pair, driver_only):
    events = [flagged() for _ in range(5)]
    envelopes = [await emit_committed(pair.registry, event) for event in events]
    js = pair.registry.state.bus.js
    await wait_until(lambda: _stream_has(js, 5))
    settings = pair.referral.state.settings
    subscription = flag_subscription(settings)
    await handle_once(pair.referral.state.sessions, subscription.spec.durable, subscription.handlers, envelopes[2])

    fetches = await _run_consumer_until_caught_up(pair, driver_only=driver_only)

    assert sorted(await pair.effects()) == sorted(event.child_id for event in events), "each once"
    # On a loaded machine the five may come in two fetches (seen once in a fresh clone's suite):
    # each fetch's new events are recorded by one transaction of their own.
    new = [[event for event in fetch if event != envelopes[2].id] for fetch in fetches]
    assert sorted(event for fetch in new for event in fetch) == sorted(e.id for e in envelopes if e != envelopes[2])
    assert max(len(fetch) for fetch in new) > 1, "a fetch of more than one new event"
    connection = await asyncpg.connect(settings.asyncpg_url)
    try:
        transactions = [await connection.fetchval(
            "SELECT count(DISTINCT xmin::text) FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
            subscription.spec.durable, fetch) for fetch in new if fetch]
    finally:
        await connection.close()
    assert transactions == [1] * len(transactions), "the new events of each fetch were recorded by one transaction"


@pytest.mark.parametrize("driver_only", [False, True], ids=["session", "driver-only"])
@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_failing_event_rolls_its_fetch_back_and_the_others_are_handled_one_by_one(pair, driver_only):
    good = [flagged() for _ in range(4)]
    for event in (good[0], good[1], flagged(ALWAYS_FAILS), good[2], good[3]):
        await emit_committed(pair.registry, event)
    js = pair.registry.state.bus.js
    await wait_until(lambda: _stream_has(js, 5))

    await _run_consumer_until_caught_up(pair, driver_only=driver_only)

    assert sorted(await pair.effects()) == sorted(event.child_id for event in good), "each once, none lost"
    await wait_until(lambda: _stream_has(js, 1, DEAD_LETTER_STREAM), what="the failing event dead-lettered")
    letter = await js.get_msg(DEAD_LETTER_STREAM, 1)
    assert Envelope.from_bytes(letter.data).data["child_id"] == str(ALWAYS_FAILS)


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_batch_handler_gets_each_run_of_its_new_events_in_one_call_and_in_order(pair):
    calls = []

    async def many(session, envelopes):
        calls.append(("many", [envelope.data["n"] for envelope in envelopes]))

    async def one(session, envelope):
        calls.append(("one", [envelope.data["n"]]))

    handlers = {"test.batched": BatchHandler(many), "test.single": one}
    kinds = ["batched", "batched", "batched", "single", "single", "batched", "batched"]
    envelopes = [Envelope(source="/test", type=f"test.{kind}", data={"n": n}) for n, kind in enumerate(kinds)]
    sessions, consumer = pair.referral.state.sessions, "batch-handler-test"
    await handle_once(sessions, consumer, handlers, envelopes[1])
    calls.clear()

    handled = await handle_all(sessions, consumer, handlers, envelopes)

    assert handled == [True, False, True, True, True, True, True]
    assert calls == [("many", [0, 2]), ("one", [3]), ("one", [4]), ("many", [5, 6])]


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_fetch_taken_as_new_writes_its_inbox_rows_with_the_handlers_statement_and_fails_on_one_seen_before(
        pair):
    """`expect_new` (every fetch's first try): no inbox read first; the rows go with the handler's
    statement. An event recorded before fails the transaction on the inbox's key, keeping nothing."""
    sessions, consumer = pair.referral.state.sessions, "expect-new-test"
    effects = "CREATE TABLE IF NOT EXISTS expect_new_effects (n integer)"
    statements: list[str] = []

    def logged(query) -> None:
        statements.append(query.query)

    async def one(session, envelope):
        connection = await driver(session)
        connection.add_query_logger(logged)
        try:
            await together(session, [Part("INSERT INTO expect_new_effects VALUES ($1)", (envelope.data["n"],))])
        finally:
            connection.remove_query_logger(logged)

    async with transaction(sessions) as session:
        await (await driver(session)).execute(effects)
    handlers = {"test.one": one}
    envelopes = [Envelope(source="/test", type="test.one", data={"n": n}) for n in range(2)]

    assert await handle_all(sessions, consumer, handlers, envelopes[:1], expect_new=True) == [True]
    written = [statement for statement in statements if "INSERT INTO" in statement]
    assert len(written) == 1 and "INSERT INTO inbox" in written[0] and "expect_new_effects" in written[0], \
        "the inbox row and the handler's row in one statement"

    with pytest.raises(asyncpg.UniqueViolationError) as failed:
        await handle_all(sessions, consumer, handlers, envelopes, expect_new=True)
    assert failed.value.constraint_name == "inbox_pkey"
    assert await handle_all(sessions, consumer, handlers, envelopes) == [False, True], "read first: one new"
    async with transaction(sessions) as session:
        rows = await (await driver(session)).fetch("SELECT n FROM expect_new_effects ORDER BY n")
    assert [row["n"] for row in rows] == [0, 1], "each once: the failed transaction kept nothing"


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_before_is_given_the_events_a_fetch_acts_on_once_before_their_handlers_in_their_transaction(pair):
    calls = []

    async def one(session, envelope):
        calls.append(("one", envelope.data["n"]))

    async def before(session, envelopes):
        calls.append(("before", [envelope.data["n"] for envelope in envelopes]))
        await (await session.connection()).execute(text("SELECT 1"))  # the fetch's own transaction

    async def ignored(session, envelope):
        calls.append(("ignored", envelope.data["n"]))

    handlers = {"test.acted": one, "test.unwanted": only_when(lambda envelope: False)(ignored)}
    kinds = ["acted", "unwanted", "acted"]
    envelopes = [Envelope(source="/test", type=f"test.{kind}", data={"n": n}) for n, kind in enumerate(kinds)]
    sessions, consumer = pair.referral.state.sessions, "then-test"

    await handle_all(sessions, consumer, handlers, envelopes, before=before)
    assert calls == [("before", [0, 2]), ("one", 0), ("one", 2)]
    calls.clear()
    await handle_all(sessions, consumer, handlers, envelopes, before=before)
    assert calls == [], "nothing acted on the second time: before is not called"


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_fetch_no_handler_wants_is_acknowledged_without_a_transaction_and_a_mixed_one_acts_on_the_wanted(
        pair):
    """A handler `only_when(wants)`: a fetch of unwanted events leaves no inbox row and no effect;
    in a fetch that holds a wanted one, only that one has an effect."""
    settings = pair.referral.state.settings
    spec = settings.consumer(name="wanted", stream="REGISTRY", subjects=["sprpa.registry.case.flagged.>"])
    handlers = {flagged().event_type: only_when(lambda envelope: envelope.data["age"] == 15)(record_effect)}
    js = pair.registry.state.bus.js

    async def consume_all() -> None:
        consumer = EventConsumer(spec=spec, handlers=handlers, sessions=pair.referral.state.sessions, js=js,
                                 metrics=pair.referral.state.metrics)
        task = asyncio.create_task(consumer.run())
        try:
            await wait_until(lambda: consumer_caught_up(js, "REGISTRY", spec.durable), timeout=30,
                             what="the consumer caught up")
        finally:
            await consumer.stop()
            await task

    async def inbox_rows() -> int:
        connection = await asyncpg.connect(settings.asyncpg_url)
        try:
            return await connection.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", spec.durable)
        finally:
            await connection.close()

    acks: list[str] = []  # each ack's reply subject: set when the consumer waits for the server's confirmation

    async def ack_seen(message) -> None:
        acks.append(message.reply)

    monitor = await js._nc.subscribe(f"$JS.ACK.REGISTRY.{spec.durable}.>", cb=ack_seen)
    for _ in range(3):
        await emit_committed(pair.registry, flagged())
    await wait_until(lambda: _stream_has(js, 3))
    await consume_all()
    assert await pair.effects() == [] and await inbox_rows() == 0
    await wait_until(lambda: _count(acks, 3), what="the three acks")
    assert not any(acks), "without effect, nothing waits for the acks' confirmation (a lost one: skipped again)"

    wanted = flagged().model_copy(update={"age": 15})
    await emit_committed(pair.registry, flagged())
    await emit_committed(pair.registry, wanted)
    await wait_until(lambda: _stream_has(js, 5))
    await consume_all()
    assert await pair.effects() == [wanted.child_id], "the wanted event only, once"
    assert await inbox_rows() == 1, "the mixed fetch recorded the event it acted on only"
    await wait_until(lambda: _count(acks, 5), what="the five acks")
    assert acks[-1], "after a commit, the server's confirmation of the last ack is waited for (double ack)"
    await monitor.unsubscribe()


async def _count(seen: list, n: int) -> bool:
    return len(seen) >= n


async def test_a_requests_events_go_to_the_relay_once_it_is_answered_and_others_at_their_commit(pair):
    """The services' middleware holds what a request's transactions hand over until the answer is
    written (the publish and the consumers it sets off ran beside the answer and delayed it)."""
    taken: list[list] = []

    class Relay:
        def take(self, events) -> None:
            taken.append(list(events))

    sessions = pair.registry.state.sessions
    first, second = flagged(), flagged()
    async def commit_later() -> Envelope:  # a task the request started, committing after its answer
        await answered.wait()
        async with transaction(sessions) as session:
            session.info[outbox.PUBLISHER] = Relay()
            return (await emit_all(session, [flagged()]))[0]

    answered = asyncio.Event()
    with outbox.held_until_answered():
        async with transaction(sessions) as session:
            session.info[outbox.PUBLISHER] = Relay()
            [held] = await emit_all(session, [first])
        assert taken == [], "held while the request is answered"
        started = asyncio.create_task(commit_later())
    assert [[event.id for event in events] for events in taken] == [[held.id]], "handed over when it ends"
    answered.set()
    late = await started
    assert [event.id for event in taken[-1]] == [late.id], "a task's commit after the answer: at its commit"

    async with transaction(sessions) as session:
        session.info[outbox.PUBLISHER] = Relay()
        [direct] = await emit_all(session, [second])
    assert [event.id for event in taken[-1]] == [direct.id], "outside a request: at the commit"


async def test_events_handed_over_one_commit_after_another_are_marked_published_together(pair):
    """Issue 27: a statement marking each commit's events published cost every flag two round trips
    and two commits. Handed over one after another, each published before the next is handed
    over, five events are marked by one statement (one `now()`), and none is claimed meanwhile.
    (Five make a batch here, so the mark does not wait for its time, which a slow run could reach
    between two of them.)"""
    metrics = Metrics("registry")
    relay = await _instead_of_the_services_relay(pair, metrics, batch_size=5, mark_after_seconds=60)
    handed = [outbox.prepare(flagged()) for _ in range(5)]
    js = pair.registry.state.bus.js
    connection = await asyncpg.connect(pair.registry_url)
    running = asyncio.create_task(relay.run())
    try:
        for number, event in enumerate(handed, start=1):
            async with connection.transaction():
                await outbox.write(connection, [event], wake=False)
            relay.take([event])

            async def published(count=number) -> bool:
                return (await js.stream_info("REGISTRY")).state.messages >= count

            await wait_until(published, timeout=10, what=f"event {number} published")

        ids = [event.id for event in handed]

        async def marked() -> bool:
            return await connection.fetchval("SELECT bool_and(published_at IS NOT NULL) FROM outbox WHERE id = ANY($1)",
                                             ids)

        await wait_until(marked, timeout=10, what="the handed-over events marked published")
        assert await connection.fetchval("SELECT count(DISTINCT published_at) FROM outbox WHERE id = ANY($1)",
                                         ids) == 1, "one statement"
        assert await connection.fetchval("SELECT sum(attempts) FROM outbox WHERE id = ANY($1)", ids) == 5, \
            "each published once"
        assert metrics.registry.get_sample_value("sprpa_outbox_claimed_total") == 0
    finally:
        await relay.stop()
        await running
        await relay.close()
        await connection.close()


async def test_a_stopping_relay_marks_what_it_has_published(pair):
    """Marks wait for the events that follow; a relay asked to stop marks what it published first."""
    relay = await _instead_of_the_services_relay(pair, Metrics("registry"), mark_after_seconds=60)
    handed = outbox.prepare(flagged())
    connection = await asyncpg.connect(pair.registry_url)
    running = asyncio.create_task(relay.run())
    try:
        async with connection.transaction():
            await outbox.write(connection, [handed], wake=False)
        relay.take([handed])
        await relay.stop()
        await running
        assert await connection.fetchval("SELECT published_at IS NOT NULL FROM outbox WHERE id = $1", handed.id)
    finally:
        await relay.close()
        await connection.close()


async def test_a_relays_poll_leaves_what_another_process_has_published_and_is_about_to_mark(pair):
    """Two processes on one outbox (a service's replicas, the import worker beside it): one
    publishes what it is handed and marks it within half a second; the other's poll must not
    take those rows meanwhile and publish them again (1.2 MB of an import's events, 14 times in a
    100,000-row import, before the poll looked only at rows that have waited)."""
    handing = await _instead_of_the_services_relay(pair, Metrics("registry"))
    polling_metrics = Metrics("registry")
    polling = OutboxRelay(dsn=pair.registry_url, js=pair.registry.state.bus.js, metrics=polling_metrics,
                          idle_poll_seconds=0.05)
    connection = await asyncpg.connect(pair.registry_url)
    tasks = [asyncio.create_task(handing.run(claiming=False)), asyncio.create_task(polling.run())]
    try:
        for _ in range(5):
            event = outbox.prepare(flagged())  # made as it is written, as a service's are
            async with connection.transaction():
                await outbox.write(connection, [event], wake=False)
            handing.take([event])

            async def marked(event=event) -> bool:
                return await connection.fetchval("SELECT published_at IS NOT NULL FROM outbox WHERE id = $1", event.id)

            await wait_until(marked, timeout=10, what="the event published and marked by the process handed it")
        assert polling_metrics.registry.get_sample_value("sprpa_outbox_claimed_total") == 0
        assert await connection.fetchval("SELECT sum(attempts) FROM outbox") == 5, "each published once"
    finally:
        await handing.stop()
        await polling.stop()
        await asyncio.gather(*tasks)
        await handing.close()
        await polling.close()
        await connection.close()
