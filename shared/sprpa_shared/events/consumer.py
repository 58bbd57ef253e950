"""The idempotent inbox consumer: a durable pull consumer whose handler runs in one transaction.

The event id is recorded in the `inbox` table in the same transaction as the handler's side
effect, and the message is acknowledged only after that commit (double ack: for a fetch, the
server confirms the last ack). A redelivered or replayed event finds its id already there and
has no second effect.

The messages of one fetch are handled in one transaction, in order, with one inbox INSERT: a
flag's four offers reach a consumer together, and a transaction each (pool checkout and ping,
BEGIN, inbox row, COMMIT) would cost more than their handlers. If any of them fails, the whole
transaction is rolled back and each message is handled again on its own, so a failing event
delays the others of its fetch but never takes them with it. A fetch is first handled as if all of
its events were new (`handle_all(expect_new=True)`: the inbox rows go with the handlers'
statements, a round trip fewer); one recorded before fails that transaction, and the fetch is
handled again reading the inbox first, so that one has no second effect.

A handler can be a `BatchHandler`: consecutive events of its type in a fetch then reach it in
one call, so it can write them with one statement (a bulk import's registrations).

A handler marked `only_when(wants)` acts only on the events `wants` picks from their envelope
alone (the registry: a referral's offer moves no case). A fetch of which no event is wanted is
acknowledged without a transaction, and without waiting for the server to confirm the acks: an
event without effect needs no inbox row to stay without effect when it comes again (nor does one in
a fetch with others), and one whose ack was lost is skipped again. `only_when(wants, by_subject=...)`
also asks the NATS subject first: an event the handler surely has no effect on by its subject alone
is acknowledged without being read (notify and an import's events, a thousand children each, that
no webhook wants: reading them was most of what notify spent on an import).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TypeVar

import asyncpg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared import tracing
from sprpa_shared.db import DriverSessions, Part, driver, later, traced, transaction
from sprpa_shared.events.access import dead_letter_subject
from sprpa_shared.events.envelope import Envelope, EventData
from sprpa_shared.events.pull import ContinuousPull
from sprpa_shared.events.streams import ConsumerSpec, ensure_consumer
from sprpa_shared.observability import Metrics, bind_traceparent, error_fields, get_logger, new_traceparent

log = get_logger(__name__)

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]
Sessions = async_sessionmaker[AsyncSession] | DriverSessions  # the subscription's (see bus.Subscription)
H = TypeVar("H")


class BatchHandler:
    """A handler given every event of a run of consecutive events of its type at once, in order.

    It must have the effect of handling them one by one (the one-by-one path after a rollback,
    and a run of one, call it with a single event)."""

    def __init__(self, handle_many: Callable[[AsyncSession, list[Envelope]], Awaitable[None]]) -> None:
        self.handle_many = handle_many

    async def __call__(self, session: AsyncSession, envelope: Envelope) -> None:
        await self.handle_many(session, [envelope])



def by_class(handlers: Mapping[type[EventData], Callable[..., Awaitable[None]] | BatchHandler]) -> dict[str, Handler]:
    """A consumer's handlers keyed by event class: each is given the event parsed once into its
    class, then the envelope (`handler(session, event, envelope)`). A `BatchHandler` keeps its
    shape: it is given the envelopes of a run (`handle_many(session, envelopes)`)."""
    parsed = {}
    for model, handler in handlers.items():
        parsed[model.event_type] = _parsing(model, handler)
        if (by_subject := getattr(handler, "wants_subject", None)) is not None:
            # Where its events are published (`sprpa.<service>.<entity>.<event>.`) goes with the mark.
            setattr(parsed[model.event_type], "subject_check",  # noqa: B010
                    (model.subject_filter()[:-1], by_subject))
    return parsed


def _read_by_subject(handlers: dict[str, Handler]) -> dict[str, tuple[str, list[Callable[[str], bool]]]]:
    """By the subject's `sprpa.<service>.<entity>.<event>.` prefix: the event type, and what decides
    from the subject whether it is read (`only_when(by_subject=...)`), for handlers that say."""
    read: dict[str, tuple[str, list[Callable[[str], bool]]]] = {}
    for event_type, handler in handlers.items():
        if (check := getattr(handler, "subject_check", None)) is not None:
            prefix, by_subject = check
            read.setdefault(prefix, (event_type, []))[1].append(by_subject)
    return read


def _parsing(model: type[EventData], handler: Callable[..., Awaitable[None]] | BatchHandler) -> Handler:
    if isinstance(handler, BatchHandler):
        return handler

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        await handler(session, model.model_validate(envelope.data), envelope)

    wants = getattr(handler, "wants", None)
    if wants is not None:
        setattr(handle, "wants", wants)  # noqa: B010 - the mark travels with the handler
    if _driver_only(handler):
        driver_only(handle)
    return handle


def driver_only(handler: H) -> H:
    """Marks a handler whose every statement goes through `sprpa_shared.db.driver` (`execute`,
    `fetch`, `Inserting`, the outbox): a fetch of such events only is handled in a plain asyncpg
    transaction (`DriverSessions`), without a SQLAlchemy session."""
    setattr(handler, "driver_only", True)  # noqa: B010 - a mark on any callable
    return handler


def _driver_only(handler) -> bool:
    return getattr(handler, "driver_only", False)


def only_when(wants: Callable[[Envelope], bool], *,
              by_subject: Callable[[str], bool] | None = None) -> Callable[[H], H]:
    """Marks a handler that has no effect on the events `wants` refuses (see the module's doc).
    `by_subject(subject)` is asked before the event is read: False means the handler surely has no
    effect on an event published on that NATS subject, which is then acknowledged unread."""
    def mark(handler: H) -> H:
        setattr(handler, "wants", wants)  # noqa: B010 - a mark on any callable
        if by_subject is not None:
            setattr(handler, "wants_subject", by_subject)  # noqa: B010
        return handler

    return mark


def wanted(handlers: dict[str, Handler], envelope: Envelope) -> bool:
    """Whether a handler of the consumer acts on the event."""
    handler = handlers.get(envelope.type)
    if handler is None:
        return False
    wants = getattr(handler, "wants", None)
    return wants is None or wants(envelope)


_RECORD = (
    "INSERT INTO inbox (event_id, consumer, type) "
    "SELECT id, $1, type FROM unnest($2::uuid[], $3::text[]) AS e (id, type) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
# Recorded as new, with the handlers' statements: an event recorded before fails the transaction.
_RECORD_NEW = ("INSERT INTO inbox (event_id, consumer, type) "
               "SELECT id, $1, type FROM unnest($2::uuid[], $3::text[]) AS e (id, type)")


Before = Callable[[AsyncSession, list[Envelope]], Awaitable[None]]


async def handle_once(sessions: Sessions, consumer: str, handlers: dict[str, Handler],
                      envelope: Envelope, *, driver_sessions: DriverSessions | None = None,
                      before: Before | None = None) -> bool:
    """Run the event's handler and record the event in the inbox, in one transaction.

    Returns False when the consumer had handled the event before (nothing was done again)."""
    return (await handle_all(sessions, consumer, handlers, [envelope], driver_sessions=driver_sessions,
                             before=before))[0]


async def handle_all(sessions: Sessions, consumer: str, handlers: dict[str, Handler],
                     envelopes: list[Envelope], *, around: Callable[[Envelope], AbstractContextManager] | None = None,
                     driver_sessions: DriverSessions | None = None, before: Before | None = None,
                     expect_new: bool = False) -> list[bool]:
    """`handle_once` for several events in one transaction, in order: all of their effects and
    inbox rows commit together, or none does. An event recorded before, or twice in the list, is
    handled once (False in the list returned); an event no handler wants gets no inbox row (it has
    no effect to keep from happening twice) and False. `around` gives each handler call its context (the
    consumer's span; a batch handler's run has the span of its first event). With
    `driver_sessions`, a list whose wanted events all have `driver_only` handlers is handled in a
    plain asyncpg transaction of those. `before` is given every event about to be acted on, once,
    before their handlers, in the same transaction (the reports' freshness: one upsert for a fetch,
    kept for the handlers' first statement with `db.later`); with `driver_sessions` it too must
    write through the driver only.

    With `expect_new` the inbox is not read first: the events are taken as new and their inbox row
    is written with the handlers' first statement that goes `together` (or just before the commit),
    a round trip fewer. An event recorded before then fails the transaction (the inbox's primary
    key), and nothing of it is kept: the consumer handles the events again without `expect_new`.
    Redeliveries are rare; every first delivery saves the round trip."""
    acting = [envelope for envelope in envelopes if wanted(handlers, envelope)]
    if driver_sessions is not None and all(_driver_only(handlers[envelope.type]) for envelope in acting):
        sessions = driver_sessions
    async with transaction(sessions) as session:
        if expect_new:
            types = {envelope.id: envelope.type for envelope in acting}  # each event once
            later(session, Part(_RECORD_NEW, (consumer, list(types), list(types.values()))))
            new = set(types)
        else:
            connection = await driver(session)
            with tracing.driver_sql(_RECORD, traced(session)):
                recorded = await connection.fetch(_RECORD, consumer, [envelope.id for envelope in acting],
                                                  [envelope.type for envelope in acting])
            new = {row["event_id"] for row in recorded}
        handled: list[bool] = []
        runs: list[list[Envelope]] = []
        for envelope in envelopes:
            first = envelope.id in new
            new.discard(envelope.id)
            handled.append(first)
            if first:
                if isinstance(handlers[envelope.type], BatchHandler) and runs and runs[-1][0].type == envelope.type:
                    runs[-1].append(envelope)
                else:
                    runs.append([envelope])
        if before is not None and runs:
            await before(session, [envelope for run in runs for envelope in run])
        for run in runs:
            handler = handlers[run[0].type]
            with around(run[0]) if around else contextlib.nullcontext():
                if isinstance(handler, BatchHandler):
                    await handler.handle_many(session, run)
                else:
                    await handler(session, run[0])
                await session.flush()  # the handler's writes under its own span, not the fetch's commit
        return handled


class PoisonMessage(Exception):
    """A message that can never be handled (unreadable envelope): dead-lettered at once."""


class ForeignEvent(PoisonMessage):
    """An event whose `source` or subject is not the service that owns the stream it came from.

    NATS lets each service publish only its own subjects, so this is a forgery or a misconfigured
    server: dead-lettered at once, counted (`sprpa_events_foreign`) and logged as an error."""


class EventConsumer:
    """Fetches from one durable consumer and dispatches by event type to handlers."""

    def __init__(
        self,
        *,
        spec: ConsumerSpec,
        handlers: dict[str, Handler],
        sessions: Sessions,
        js: JetStreamContext,
        metrics: Metrics,
        batch_size: int = 64,
        fetch_timeout: float = 1.0,
        driver_sessions: DriverSessions | None = None,
        before: Before | None = None,
    ) -> None:
        self.spec = spec
        self._before = before
        self._driver_sessions = driver_sessions
        self._handlers = handlers
        self._read_by_subject = _read_by_subject(handlers)
        self._sessions = sessions
        self._js = js
        self._metrics = metrics
        self._batch_size = batch_size
        self._fetch_timeout = fetch_timeout
        self._stopping = asyncio.Event()
        self._pull: ContinuousPull | None = None

    async def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                if self._pull is None:
                    await ensure_consumer(self._js, self.spec)
                    pull = ContinuousPull(self._js._nc,  # the JetStream context's connection
                                          stream=self.spec.stream, durable=self.spec.durable,
                                          batch=self._batch_size)
                    await pull.start()
                    self._pull = pull
                messages = await self._pull.next_burst(self._batch_size, timeout=self._fetch_timeout)
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    break  # stop() woke the wait
                raise
            except Exception as exc:  # noqa: BLE001 - server away or restarting: re-bind after a pause
                failures += 1
                log.warning("consumer fetch failed", consumer=self.spec.durable, error=type(exc).__name__)
                await self._drop_subscription()
                await self._pause(min(5.0, 0.05 * 2**failures))
                continue
            failures = 0
            if not messages:
                self._metrics.consumer_pending.labels(self.spec.durable).set(0)  # nothing was waiting
                continue
            if messages[-1].metadata is not None:
                self._metrics.consumer_pending.labels(self.spec.durable).set(messages[-1].metadata.num_pending)
            await self.process_all(messages)
        await self._drop_subscription()

    async def stop(self) -> None:
        self._stopping.set()
        if self._pull is not None:
            self._pull.interrupt()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _drop_subscription(self) -> None:
        if self._pull is not None:
            with contextlib.suppress(Exception):
                await self._pull.release()
        self._pull = None

    async def process_all(self, messages: list[Msg]) -> None:
        """A fetch's messages in one transaction (see the module's doc); one by one if that fails."""
        readable: list[tuple[Msg, Envelope]] = []
        unread: list[Msg] = []
        to_read: list[Msg] = []
        for message in messages:
            (unread if self._surely_unwanted(message.subject) else to_read).append(message)
        if unread:
            await self._ack_all(unread, confirmed=False)
        for message in to_read:
            try:
                readable.append((message, self._read(message)))
            except PoisonMessage as exc:
                await self._failed(message, "unknown", exc)
        if not readable:
            return
        if not any(wanted(self._handlers, envelope) for _, envelope in readable):
            for _, envelope in readable:
                self._metrics.events_consumed.labels(consumer=self.spec.durable, type=envelope.type,
                                                     result="skipped").inc()
            await self._ack_all([message for message, _ in readable], confirmed=False)
            return
        envelopes = [envelope for _, envelope in readable]
        subjects = {envelope.id: message.subject for message, envelope in readable}
        async def handle(expect_new: bool) -> None:
            await handle_all(self._sessions, self.spec.durable, self._handlers, envelopes,
                             around=lambda envelope: self._span(envelope, subjects[envelope.id]),
                             driver_sessions=self._driver_sessions, before=self._before, expect_new=expect_new)

        try:
            try:
                await handle(expect_new=True)
            except Exception as exc:
                if not _recorded_before(exc):
                    raise
                await handle(expect_new=False)  # redelivered: read the inbox first, the new ones in one transaction
        except Exception as exc:  # noqa: BLE001 - nothing of the batch committed: each on its own decides
            log.info("batch rolled back; handling its events one by one", consumer=self.spec.durable,
                     events=len(envelopes), error=type(exc).__name__)
            for message, _ in readable:
                await self.process(message)
            return
        for envelope in envelopes:
            self._metrics.events_consumed.labels(consumer=self.spec.durable, type=envelope.type, result="ok").inc()
        await self._ack_all([message for message, _ in readable])

    def _surely_unwanted(self, subject: str) -> bool:
        """Whether the handlers say from the subject alone that the event would have no effect
        (counted as skipped, by the handler's event type). Such an event is not looked at at all,
        not even for its source: NATS lets only the stream's owner publish on its subjects."""
        if not self._read_by_subject:
            return False
        read = self._read_by_subject.get(subject.rsplit(".", 2)[0] + ".")
        if read is None or any(wants(subject) for wants in read[1]):
            return False
        self._metrics.events_consumed.labels(consumer=self.spec.durable, type=read[0], result="skipped").inc()
        return True

    @contextlib.contextmanager
    def _span(self, envelope: Envelope, subject: str) -> Iterator[None]:
        with tracing.consuming(service=self.spec.service, consumer=self.spec.durable,
                               subject=subject, event_type=envelope.type, event_id=str(envelope.id),
                               traceparent=envelope.traceparent):
            bind_traceparent(tracing.active_traceparent() or new_traceparent(envelope.traceparent))
            yield

    @classmethod
    async def _ack_all(cls, messages: list[Msg], *, confirmed: bool = True) -> None:
        """Acks a fetch's messages in order and waits for the server's confirmation of the last one
        only: one round trip for the fetch instead of one per message. The server reads a
        connection's acks in the order they were sent; and an ack that was lost all the same only
        means a redelivery, which the inbox makes a no-op. Not `confirmed`: a fetch that had no
        effect (nothing wanted it) waits for no confirmation; a redelivery is skipped again."""
        for message in messages[:-1] if confirmed else messages:
            with contextlib.suppress(Exception):
                await message.ack()
        if confirmed:
            await cls._ack(messages[-1])

    @staticmethod
    async def _ack(message: Msg) -> None:
        with contextlib.suppress(Exception):  # if the ack is lost, the redelivery is a no-op
            await message.ack_sync()

    async def process(self, message: Msg) -> None:
        """Handle one message: effect + inbox row in one transaction, then ack; or NAK / dead-letter."""
        event_type = "unknown"
        try:
            envelope = self._read(message)
            event_type = envelope.type
            with self._span(envelope, message.subject):
                await self._handle(envelope)
        except Exception as exc:  # noqa: BLE001 - every failure is either retried or dead-lettered
            await self._failed(message, event_type, exc)
            return
        self._metrics.events_consumed.labels(consumer=self.spec.durable, type=event_type, result="ok").inc()
        await self._ack(message)

    def _read(self, message: Msg) -> Envelope:
        """The message's envelope, once it is shown to come from the owner of the consumer's stream."""
        envelope = _parse(message)
        owner = self.spec.owner
        stream = message.metadata.stream if message.metadata else self.spec.stream
        if stream != self.spec.stream or not message.subject.startswith(f"sprpa.{owner}.") \
                or envelope.source != f"/sprpa/{owner}":
            self._metrics.events_foreign.labels(self.spec.durable).inc()
            log.error("event dropped: not from the owner of its stream", consumer=self.spec.durable,
                      stream=stream, subject=message.subject, source=envelope.source, type=envelope.type)
            raise ForeignEvent(f"{envelope.type} from {envelope.source} on {message.subject} in {stream}")
        return envelope

    async def _handle(self, envelope: Envelope) -> None:
        await handle_once(self._sessions, self.spec.durable, self._handlers, envelope,
                          driver_sessions=self._driver_sessions, before=self._before)

    async def _failed(self, message: Msg, event_type: str, exc: Exception) -> None:
        delivered = message.metadata.num_delivered if message.metadata else 1
        poison = isinstance(exc, PoisonMessage)
        log.warning(
            "event handler failed",
            consumer=self.spec.durable,
            type=event_type,
            delivered=delivered,
            **error_fields(exc),
        )
        self._metrics.events_consumed.labels(consumer=self.spec.durable, type=event_type, result="error").inc()
        try:
            if poison or delivered >= self.spec.max_deliver:
                await self._dead_letter(message, event_type, exc)
                await message.term()
            else:
                await message.nak(delay=self.spec.retry_delay(delivered))
        except Exception as send_exc:  # noqa: BLE001 - not acked: the server redelivers after ack_wait
            log.warning("could not settle failed message", consumer=self.spec.durable, error=type(send_exc).__name__)

    async def _dead_letter(self, message: Msg, event_type: str, exc: Exception) -> None:
        meta = message.metadata
        sequence = meta.sequence.stream if meta else 0
        await self._js.publish(
            dead_letter_subject(self.spec.service, self.spec.durable),
            message.data,
            headers={
                "Nats-Msg-Id": f"{self.spec.durable}:{meta.stream if meta else ''}:{sequence}",
                "Sprpa-Original-Subject": message.subject,
                "Sprpa-Original-Stream-Sequence": str(sequence),
                "Sprpa-Event-Type": event_type,
                "Sprpa-Error": type(exc).__name__,
            },
        )
        self._metrics.events_dead_lettered.labels(consumer=self.spec.durable, type=event_type).inc()


def _recorded_before(error: BaseException) -> bool:
    """Whether a transaction failed on the inbox's key: an event taken as new had been handled."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, asyncpg.PostgresError):  # SQLAlchemy wraps the driver's
        cause = getattr(cause, "orig", None) or cause.__cause__
    return isinstance(cause, asyncpg.UniqueViolationError) and cause.constraint_name == "inbox_pkey"


def _parse(message: Msg) -> Envelope:
    try:
        return Envelope.from_bytes(message.data)
    except ValueError as exc:
        raise PoisonMessage("unreadable envelope") from exc
