"""The transactional outbox: an event row written in the same transaction as the change it reports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import partial
from typing import NamedTuple, Protocol

import asyncpg
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared import tracing
from sprpa_shared.db import Part, after_commit, together
from sprpa_shared.events.envelope import Envelope, EventData
from sprpa_shared.observability import current_traceparent

NOTIFY_CHANNEL = "sprpa_outbox"

# DDL shared by every service's first migration (see sprpa_shared.migrations); a later one keeps
# the envelope as written, `json` (`migrations.outbox_as_written`).
OUTBOX_DDL = (
    """
CREATE TABLE outbox (
    position     bigserial PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    type         text NOT NULL,
    subject      text NOT NULL,
    envelope     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text
)""",
    "CREATE INDEX outbox_unpublished ON outbox (position) WHERE published_at IS NULL",
)

INBOX_DDL = (
    """
CREATE TABLE inbox (
    event_id     uuid NOT NULL,
    consumer     text NOT NULL,
    type         text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
)""",
)

# The rows, in the order given, and the relay's wake-up in one round trip: the NOTIFY is delivered
# at commit, dropped on rollback; a data-modifying CTE runs to completion though nothing reads it.
_ROWS = """
    INSERT INTO outbox (id, type, subject, envelope, created_at)
    SELECT id, type, subject, envelope::json, created_at
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
         WITH ORDINALITY AS e (id, type, subject, envelope, created_at, n)
    ORDER BY n
"""
WAKE = f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')"
INSERT = f"WITH written AS ({_ROWS}) {WAKE}"


class Prepared(NamedTuple):
    """An event made ready to write: CPU work only (the import prepares a batch's on a worker thread)."""

    id: uuid.UUID
    type: str
    subject: str
    envelope: str
    time: datetime


def prepare(data: EventData, *, at: datetime | None = None, traceparent: str | None = None) -> Prepared:
    return _prepared(Envelope.wrap(data, time=at, traceparent=traceparent), data)


def prepare_payload(about: EventData, payload: dict, *, at: datetime | None = None) -> Prepared:
    """`prepare` for an event whose JSON form (`model_dump(mode="json")`) is built by its caller:
    `about` gives the type, subject and place (its own fields need only what they derive from), and
    `payload` is the data as it is written. For events too large to build as models (an import's
    1,000 children); the caller's tests hold the payload to the contract."""
    envelope = Envelope(source=f"/sprpa/{about.source_service}", type=about.event_type, time=at or datetime.now(UTC),
                        subject=about.cloud_subject(), data=payload)
    return Prepared(envelope.id, envelope.type, about.subject(), envelope.model_dump_json(exclude_none=True),
                    envelope.time)


def _prepared(envelope: Envelope, data: EventData) -> Prepared:
    return Prepared(envelope.id, envelope.type, data.subject(), envelope.model_dump_json(exclude_none=True),
                    envelope.time)


def _columns(events: Sequence[Prepared]) -> tuple[list, ...]:
    return tuple(map(list, zip(*events, strict=True)))


async def write(connection: asyncpg.Connection, events: Sequence[Prepared], *, traced: bool = False,
                wake: bool = True) -> None:
    """Write prepared events inside the caller's transaction on `connection`, in order (with a SQL
    span when `traced`). `wake=False`: no NOTIFY wakes the relays at the commit, for a caller that
    hands the events to a relay of its own once committed (`OutboxRelay.take`)."""
    if events:
        statement = INSERT if wake else _ROWS
        with tracing.driver_sql(statement, traced):
            await connection.execute(statement, *_columns(events))


PUBLISHER = "sprpa.publisher"  # in a session's info: the relay of the service it belongs to (events.bus sets it)


class Publisher(Protocol):
    def take(self, events: Sequence[Prepared]) -> None:
        """Events just committed, to publish at once (it must not raise or wait)."""


async def emit(session: AsyncSession, data: EventData, *, at: datetime | None = None) -> Envelope:
    """Record an event to be published once, and only if, the session's transaction commits."""
    return (await emit_all(session, [data], at=at))[0]


async def emit_all(session: AsyncSession, events: list[EventData], *, at: datetime | None = None,
                   along: Sequence[Part | None] = ()) -> list[Envelope]:
    """Several events of one change, in order: one round trip writes them all; once the transaction
    has committed they go to the service's relay (`PUBLISHER`), or, in a process without one, a
    NOTIFY at the commit wakes the relays. `along`: the change's own statements, written in the same
    round trip (`db.together`)."""
    if not events:
        await together(session, along)
        return []
    traceparent = current_traceparent()
    envelopes = [Envelope.wrap(data, time=at, traceparent=traceparent) for data in events]
    prepared = [_prepared(envelope, data) for envelope, data in zip(envelopes, events, strict=True)]
    publisher: Publisher | None = session.info.get(PUBLISHER)
    # In the caller's transaction (begun if need be), with what it kept for later (an audit row).
    # With the service's relay at hand, the events go to it once the transaction has committed,
    # and no NOTIFY wakes a relay to claim them (it would publish them twice).
    await together(session, [*along, Part(_ROWS, _columns(prepared))], then=WAKE if publisher is None else "SELECT 1")
    if publisher is not None:
        after_commit(session, partial(_hand_over, publisher, prepared))
    return envelopes


class _Held(list):
    """What a request's transactions handed over, until it is answered (`open` until then)."""

    open = True


_HELD: ContextVar[_Held | None] = ContextVar("sprpa_outbox_held", default=None)


def _hand_over(publisher: Publisher, events: list[Prepared]) -> None:
    held = _HELD.get()
    if held is not None and held.open:
        held.append((publisher, events))
    else:  # not in a request, or in a task it started that commits after its answer
        publisher.take(events)


@contextmanager
def held_until_answered() -> Iterator[None]:
    """The events a request's transactions commit go to the relay when the block ends, once the
    answer is written (the services' middleware), not at their commit. Published at once, their
    consumers (on the machine's few cores) and the publish itself ran beside the answer and
    delayed it by 2 ms in `bench.cpu`, and NATS's CPU a flag rose by a quarter."""
    held = _Held()
    token = _HELD.set(held)
    try:
        yield
    finally:
        _HELD.reset(token)
        held.open = False
        for publisher, events in held:
            publisher.take(events)
