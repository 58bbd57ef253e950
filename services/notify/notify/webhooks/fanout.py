"""Every event the services publish is queued for the webhook endpoints that asked for its type in
its kabupaten, in the inbox transaction (a redelivered event queues nothing twice).

Most events go to no endpoint, so which (event type, kabupaten) pairs some endpoint wants is kept
in memory (`Wanted`) while a listener hears every change to the endpoints: a trigger announces
each on the `webhook_endpoints` channel when it commits. Without a listener (PostgreSQL away, or
before it connects) every event asks the database, as it would without the cache."""

from __future__ import annotations

import asyncio
import contextlib
import json

import asyncpg
from fastapi import FastAPI
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from notify.rules import regency_of
from sprpa_contracts.events import BY_TYPE
from sprpa_shared.db import execute, fetch
from sprpa_shared.events.envelope import Envelope, subject_regency
from sprpa_shared.observability import error_fields, get_logger

log = get_logger(__name__)
CHANNEL = "webhook_endpoints"  # the trigger of migration 0005
KEEPALIVE_SECONDS = 30.0  # the listener proves its connection this often (a dead one is not always told)

_WANTED = text("""
SELECT e.id FROM webhook_endpoints e
WHERE e.status <> 'disabled' AND :type = ANY (e.event_types) AND :regency = ANY (e.regency_codes)
""")
_PAIRS = text("""
SELECT DISTINCT t.type, r.regency FROM webhook_endpoints e, unnest(e.event_types) AS t (type),
    unnest(e.regency_codes) AS r (regency)
WHERE e.status <> 'disabled'
""")
_QUEUE = text("""
INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, subject, payload, next_attempt_at, created_at)
SELECT gen_random_uuid(), endpoint, :event, :type, :subject, CAST(:payload AS jsonb), :at, :at
FROM unnest(CAST(:endpoints AS uuid[])) AS endpoint
ON CONFLICT DO NOTHING
""")


class Wanted:
    """The (event type, kabupaten) pairs some endpoint wants, read once and kept while `listening`;
    forgotten at every change heard. A read that a change overtook is not kept (`_generation`)."""

    def __init__(self) -> None:
        self.listening = False
        self.reads = 0
        self._pairs: frozenset[tuple[str, str]] | None = None
        self._generation = 0

    @property
    def kept(self) -> bool:
        return self._pairs is not None

    def forget(self) -> None:
        self._generation += 1
        self._pairs = None

    def heard(self, listening: bool) -> None:
        """The listener connected (True) or lost its connection (False): what was kept may be stale."""
        self.listening = listening
        self.forget()

    def surely_not(self, event_type: str, regency: str) -> bool:
        """True only when the kept pairs show that no endpoint wants this type in this kabupaten
        (nothing kept, or not listening: False, the database is asked)."""
        return self.listening and self._pairs is not None and (event_type, regency) not in self._pairs

    async def may_want(self, session: AsyncSession, event_type: str, regency: str) -> bool:
        """False only when no endpoint wants this type in this kabupaten."""
        if not self.listening:
            return True  # ask the database each time
        if self._pairs is None:
            generation = self._generation
            self.reads += 1
            pairs = frozenset((row["type"], row["regency"]) for row in await fetch(session, _PAIRS, {}))
            if generation != self._generation:
                return True  # changed while read: ask the database this time
            self._pairs = pairs
        return (event_type, regency) in self._pairs


def _regency(envelope: Envelope) -> str | None:
    """The kabupaten of a catalogue event, read from the place every one carries (a desa's or a
    kabupaten's code) without validating the whole event; None for a national event (it goes to
    nobody's kabupaten) or a type outside the catalogue."""
    place = envelope.data.get("village_code") or envelope.data.get("regency_code")
    if envelope.type not in BY_TYPE or not place:
        return None
    return regency_of(place)


def surely_unwanted(envelope: Envelope, wanted: Wanted) -> bool:
    """No endpoint can want the event, by what `wanted` keeps (the consumer then acknowledges it
    without a transaction, when it makes no notice either)."""
    regency = _regency(envelope)
    return regency is None or wanted.surely_not(envelope.type, regency)


def surely_unwanted_on(subject: str, event_type: str, wanted: Wanted) -> bool:
    """`surely_unwanted`, asked of the NATS subject before the event is read, for an event whose
    place is its kabupaten: the subject carries that kabupaten. A national subject tells nothing
    (False: the event is read)."""
    regency = subject_regency(subject)
    return regency is not None and wanted.surely_not(event_type, regency)


async def queue(session: AsyncSession, envelope: Envelope, wanted: Wanted) -> None:
    regency = _regency(envelope)
    if regency is None:
        return
    if not await wanted.may_want(session, envelope.type, regency):
        return
    # Which endpoints want it first, in the same transaction: most events go to none, and an event
    # is written out again only for those (an import's batch is some 300 KB of JSON).
    endpoints = [row["id"] for row in await fetch(session, _WANTED, {"type": envelope.type, "regency": regency})]
    if not endpoints:
        return
    await execute(session, _QUEUE, {
        "event": envelope.id, "type": envelope.type, "subject": envelope.subject or "", "endpoints": list(endpoints),
        "payload": json.dumps(envelope.model_dump(mode="json", exclude_none=True)), "at": envelope.time})


def listening(wanted: Wanted):
    """The app job that keeps `wanted` honest: a connection listening on `CHANNEL`, made again when
    it is lost (the kept pairs are dropped meanwhile)."""

    async def endpoint_changes(app: FastAPI) -> None:
        failures = 0
        while True:
            listener: asyncpg.Connection | None = None
            lost = asyncio.Event()
            try:
                listener = await asyncpg.connect(app.state.settings.asyncpg_url)
                listener.add_termination_listener(lambda _, lost=lost: lost.set())
                await listener.add_listener(CHANNEL, lambda *_: wanted.forget())
                wanted.heard(True)
                failures = 0
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), timeout=KEEPALIVE_SECONDS)
                    if not lost.is_set():
                        await listener.execute("SELECT 1")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                failures += 1
                log.warning("webhook endpoints: not listening; every event asks the database", **error_fields(exc))
            finally:
                wanted.heard(False)
                if listener is not None:
                    with contextlib.suppress(Exception):
                        await listener.close(timeout=2)
            await asyncio.sleep(min(5.0, 0.1 * 2**failures))

    return endpoint_changes
