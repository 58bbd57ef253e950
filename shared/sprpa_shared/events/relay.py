"""The outbox relay: publishes committed outbox rows to JetStream, handed its service's events as they
commit and woken by LISTEN/NOTIFY for the rest."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence

import asyncpg
from nats.js import JetStreamContext

from sprpa_shared.db import GivenBackAsItIs
from sprpa_shared.events.outbox import NOTIFY_CHANNEL, Prepared
from sprpa_shared.observability import Metrics, get_logger

log = get_logger(__name__)

# The batch is claimed and marked published in one statement, in the transaction that holds the
# rows' locks while they are published: a row whose publish is not acknowledged is marked
# unpublished again before the commit (and a relay that dies mid-batch commits nothing). One round
# trip fewer than a claim, then a mark, for every batch.
# Not the events handed over to this relay and still in flight ($2): they are being published.
_CLAIM = """
UPDATE outbox SET published_at = now(), attempts = attempts + 1
WHERE position IN (SELECT position FROM outbox WHERE published_at IS NULL AND id <> ALL($2::uuid[])
                   ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING position, id, type, subject, envelope::text AS envelope, created_at
"""
_MARK_FAILED = "UPDATE outbox SET published_at = NULL, last_error = $2 WHERE position = ANY($1)"
# Events the service handed over as it committed them (`take`), marked once JetStream has them: one
# statement, where a claim is three round trips and a NOTIFY's wake-up. Marked by the relay's claim
# meanwhile (it was woken by another writer's NOTIFY, or polled), a row is left as it is.
_MARK_PUBLISHED = ("UPDATE outbox SET published_at = now(), attempts = attempts + 1"
                   " WHERE id = ANY($1::uuid[]) AND published_at IS NULL")
_BACKLOG = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
# The poll looks for rows that have waited longer than any relay keeps what it published unmarked
# (`MARK_AFTER_SECONDS`): a younger one is most likely another process's (a replica, the import
# worker), published and about to be marked, and taking it would publish it again.
_WAITING = ("SELECT EXISTS (SELECT FROM outbox WHERE published_at IS NULL AND id <> ALL($1::uuid[])"
            " AND created_at < now() - make_interval(secs => $2))")
# Counting the backlog reads all of it: while a large one drains (a bulk import's events), count
# it at most this often, not after every batch. A batch that was not full took every row there
# was to claim, so the backlog it leaves is nothing (until the next commit wakes the relay).
BACKLOG_COUNT_SECONDS = 5.0
# Events handed over are marked published together, at most this long after the first of them was
# published (or as soon as a batch of them waits): one statement for the events of many commits,
# where a statement for each commit's cost every flag two round trips and two commits (issue 27).
# Until marked they stay in flight, which this relay's claim leaves; a process that dies meanwhile
# leaves them to a claim that publishes them again, one message by their id (the stream's
# duplicate window), and consumers are idempotent anyway.
MARK_AFTER_SECONDS = 0.5
POLLED_AFTER_SECONDS = 4 * MARK_AFTER_SECONDS


class OutboxRelay:
    """Publishes with `Nats-Msg-Id` = event id; retries with back-off while NATS or PostgreSQL is away.

    Two ways in. The service's own transactions hand their events over as they commit (`take`):
    published at once from memory, then marked with those published within `mark_after_seconds`
    (`MARK_AFTER_SECONDS`). Anything else unpublished (another process's rows,
    announced by NOTIFY, such as the import worker's while it cannot reach NATS; events handed over
    whose publish or mark failed, here or in the import worker's relay, which claims nothing
    itself; rows left by a process that died between its commit and its mark) is claimed from
    the table: woken by NOTIFY, by a failed hand-over, or by the poll every `idle_poll_seconds`
    (which, like the relay's start, looks for rows that have waited `POLLED_AFTER_SECONDS`).
    A row published by both ways (the claim came while a handed event was in flight) is one
    message: JetStream drops the second by its `Nats-Msg-Id`, and consumers are idempotent anyway.

    Several relays (replicas) share the claimed work: rows are claimed with FOR UPDATE SKIP LOCKED.
    Published rows are kept, marked with `published_at`, for reconciliation.
    """

    def __init__(
        self,
        *,
        dsn: str,
        js: JetStreamContext,
        metrics: Metrics,
        batch_size: int = 256,
        publish_timeout: float = 5.0,
        idle_poll_seconds: float = 2.0,
        max_backoff_seconds: float = 5.0,
        mark_after_seconds: float = MARK_AFTER_SECONDS,
    ) -> None:
        self._dsn = dsn
        self._js = js
        self._metrics = metrics
        self._batch_size = batch_size
        self._publish_timeout = publish_timeout
        self._idle_poll = idle_poll_seconds
        self._max_backoff = max_backoff_seconds
        self._mark_after = mark_after_seconds
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._backlog_counted_at = -BACKLOG_COUNT_SECONDS
        self._handed: list[Prepared] = []
        self._handed_over = asyncio.Event()
        self._in_flight: set[uuid.UUID] = set()  # handed over, not yet marked: the claim leaves them
        self._unmarked: list[uuid.UUID] = []  # handed over and published, to mark by MARK_AFTER_SECONDS
        self._mark_at = 0.0
        self._making_pool = asyncio.Lock()

    def wake(self) -> None:
        self._wake.set()

    def take(self, events: Sequence[Prepared]) -> None:
        """Events the service has just committed (`outbox.emit_all`, after the commit): published
        at once, in the order handed over. Not published while the relay is stopped: they are in
        the outbox, and the next start claims them."""
        self._handed.extend(events)
        self._in_flight.update(event.id for event in events)
        self._handed_over.set()

    async def run(self, *, claiming: bool = True) -> None:
        """Until stopped. `claiming=False`: only what `take` is given, for a process beside a service
        whose relay claims the rest (the import worker); what it fails to publish stays unpublished
        in the outbox, and that relay's poll claims it."""
        handing = asyncio.create_task(self._publish_handed_over(), name="outbox-handed-over")
        try:
            if claiming:
                await self._claim_and_publish()
            else:
                await self._stopping.wait()
        finally:
            self._stopping.set()
            self._handed_over.set()
            await handing

    async def _claim_and_publish(self) -> None:
        failures = 0
        woken = False  # starting looks as a poll does: what waits from before, not what is in flight
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                await self._ensure_connections()
                # Polled, not woken: one cheap look first (a claim is three round trips); the poll
                # covers a NOTIFY missed while the listener was being made again, and the rows of a
                # process that died before it marked them.
                published = await self.publish_batch() if woken or await self._waiting() else 0
                failures = 0
            except Exception as exc:  # noqa: BLE001 - any failure: back off and try again
                failures += 1
                self._metrics.relay_failures.inc()
                log.warning("outbox relay attempt failed", error=type(exc).__name__, failures=failures)
                await self._close_broken()
                await self._pause(min(self._max_backoff, 0.05 * 2**failures))
                woken = True
                continue
            if published == self._batch_size:
                continue
            woken = await self._pause(self._idle_poll)

    async def _publish_handed_over(self) -> None:
        """Publishes what `take` was given, what came meanwhile in the next batch, and marks them
        published together (`mark_after_seconds`), until the relay stops (what is handed over by
        then is still published, and what is published, marked)."""
        while True:
            await self._handed_over_or_mark_due()
            self._handed_over.clear()
            events, self._handed = self._handed, []
            if events:
                await self._publish_handed(events)
            stopping = self._stopping.is_set()
            if self._unmarked and (stopping or len(self._unmarked) >= self._batch_size
                                   or time.monotonic() >= self._mark_at):
                await self._mark_published()
            if stopping and not self._handed:
                return

    async def _handed_over_or_mark_due(self) -> None:
        due = max(0.0, self._mark_at - time.monotonic()) if self._unmarked else None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(due):
                await self._handed_over.wait()

    async def _publish_handed(self, events: list[Prepared]) -> None:
        outcomes = await self._publish(events)
        published = [event.id for event, error in zip(events, outcomes, strict=True) if error is None]
        failed = [event.id for event, error in zip(events, outcomes, strict=True) if error is not None]
        if published and not self._unmarked:
            self._mark_at = time.monotonic() + self._mark_after
        self._unmarked.extend(published)
        if failed:
            self._in_flight.difference_update(failed)
            self._metrics.relay_failures.inc()
            self._wake.set()  # the claim publishes them again, with back-off, and records the error

    async def _mark_published(self) -> None:
        marking, self._unmarked = self._unmarked, []
        try:
            await (await self._the_pool()).execute(_MARK_PUBLISHED, marking)
        except Exception as exc:  # noqa: BLE001 - unmarked, they are claimed and published again (one message)
            log.warning("handed-over events published but not marked", error=type(exc).__name__, events=len(marking))
            self._wake.set()
        finally:
            self._in_flight.difference_update(marking)

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def close(self) -> None:
        await self._close_broken(force=True)

    async def _pause(self, seconds: float) -> bool:
        """Waits until woken or `seconds` have passed; whether it was woken."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def _waiting(self) -> bool:
        assert self._pool is not None
        return await self._pool.fetchval(_WAITING, list(self._in_flight), POLLED_AFTER_SECONDS)

    async def _the_pool(self) -> asyncpg.Pool:
        """The pool, made by whichever comes first, the claim or the first hand-over (a service's
        first commits as it starts): one pool, and no handed-over event left to the claim for want of it."""
        async with self._making_pool:
            if self._pool is None:
                self._pool = await self._new_pool()
            return self._pool

    async def _ensure_connections(self) -> None:
        await self._the_pool()
        if self._listener is None or self._listener.is_closed():
            self._listener = await asyncpg.connect(self._dsn)
            await self._listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())

    def _new_pool(self):
        # Given back without asyncpg's reset query (a round trip per batch): the relay's
        # transactions leave no session state behind.
        return asyncpg.create_pool(self._dsn, min_size=1, max_size=2, connection_class=GivenBackAsItIs)

    async def _close_broken(self, force: bool = False) -> None:
        if self._listener is not None and (force or self._listener.is_closed()):
            with contextlib.suppress(Exception):
                await self._listener.close(timeout=2)
            self._listener = None
        if force and self._pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pool.close(), timeout=5)
            self._pool = None

    async def publish_batch(self) -> int:
        """Publish up to one batch of unpublished rows, in order; return how many were published.

        Rows whose publish was not acknowledged stay unpublished, with the attempt and the error
        recorded on the same connection that holds their row locks (a second connection would wait
        on those locks for ever), and are retried; the rows acknowledged beside them are kept.
        """
        assert self._pool is not None
        async with self._pool.acquire() as conn, conn.transaction():
            rows = sorted(await conn.fetch(_CLAIM, self._batch_size, list(self._in_flight)),
                          key=lambda row: row["position"])
            if not rows:
                self._metrics.outbox_backlog.set(0)
                return 0
            self._metrics.outbox_claimed.inc(len(rows))
            outcomes = await self._publish([Prepared(row["id"], row["type"], row["subject"], row["envelope"],
                                                     row["created_at"])
                                            for row in rows])
            published = [row["position"] for row, error in zip(rows, outcomes, strict=True) if error is None]
            failed = [(row["position"], error) for row, error in zip(rows, outcomes, strict=True) if error is not None]
            if failed:
                await conn.execute(_MARK_FAILED, [position for position, _ in failed], failed[0][1])
            now = time.monotonic()
            if not failed and len(rows) < self._batch_size:
                self._metrics.outbox_backlog.set(0)
            elif failed or now - self._backlog_counted_at >= BACKLOG_COUNT_SECONDS:
                # the rows marked published are already out of the count (same transaction)
                self._metrics.outbox_backlog.set(await conn.fetchval(_BACKLOG))
                self._backlog_counted_at = now
        if failed:
            raise PublishFailed(f"{len(failed)} of {len(rows)} events not acknowledged: {failed[0][1]}")
        return len(published)

    async def _publish(self, events: Sequence[Prepared]) -> list[str | None]:
        """Each event's outcome: None when JetStream acknowledged it, else the error, within one deadline."""
        futures: list[asyncio.Future] = []
        unsent = "not sent"
        try:
            async with asyncio.timeout(self._publish_timeout):
                for event in events:
                    futures.append(await self._js.publish_async(
                        event.subject, event.envelope.encode(), headers={"Nats-Msg-Id": str(event.id)}))
                await asyncio.wait(futures)
        except TimeoutError:
            pass  # what was not acknowledged in time is a failure below
        except Exception as exc:  # noqa: BLE001 - e.g. the client refused to buffer: the rest are failures
            unsent = f"{type(exc).__name__}: {exc}"[:500]
        outcomes: list[str | None] = []
        for index, event in enumerate(events):
            future = futures[index] if index < len(futures) else None
            if future is None:
                outcomes.append(unsent)
            elif not future.done():
                future.cancel()
                outcomes.append("TimeoutError: no acknowledgement in time")
            elif future.cancelled():
                outcomes.append("CancelledError: the client dropped the publish")
            elif (error := future.exception()) is not None:
                outcomes.append(f"{type(error).__name__}: {error}"[:500])
            else:
                outcomes.append(None)
                self._metrics.events_published.labels(type=event.type).inc()
        return outcomes


class PublishFailed(Exception):
    """Some claimed rows were not acknowledged by JetStream; they stay in the outbox for a retry."""
