"""A service's link to NATS: connects (and keeps reconnecting), provisions, runs relay and consumers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.db import DriverSessions
from sprpa_shared.events.consumer import BatchHandler, Before, EventConsumer, Handler, by_class, handle_once
from sprpa_shared.events.consumer import driver_only as mark_driver_only
from sprpa_shared.events.envelope import Envelope, EventData
from sprpa_shared.events.outbox import PUBLISHER
from sprpa_shared.events.relay import OutboxRelay
from sprpa_shared.events.streams import ConsumerSpec, ensure_service_stream
from sprpa_shared.observability import Metrics, get_logger
from sprpa_shared.settings import ServiceSettings

log = get_logger(__name__)


def server_list(nats_url: str) -> list[str]:
    """`nats://a:4222,nats://b:4222` (a cluster's seed list, as in compose and Kubernetes) as a list."""
    return [url.strip() for url in nats_url.split(",") if url.strip()]


async def connect(nats_url: str, *, name: str, options: dict) -> NATS:
    """A connection that reconnects for ever once made (a failed first attempt raises), its
    troubles logged. `options`: the user's (`ServiceSettings.nats_options`)."""
    return await nats.connect(servers=server_list(nats_url), name=name, max_reconnect_attempts=-1,
                              reconnect_time_wait=0.5, connect_timeout=2, error_cb=_log_error,
                              disconnected_cb=_log_disconnected, reconnected_cb=_log_reconnected, **options)


async def connect_patiently(nats_url: str, *, name: str, options: dict,
                            pause: Callable[[float], Awaitable[object]]) -> NATS:
    """`connect`, tried again until NATS is up: `pause` waits 0.1 s doubling to 5 s between the
    attempts, and gives up by raising (`asyncio.CancelledError`) when its owner stops."""
    attempt = 0
    while True:
        try:
            return await connect(nats_url, name=name, options=options)
        except Exception as exc:  # noqa: BLE001 - not up yet: try again
            attempt += 1
            log.warning("NATS not reachable yet", connection=name, error=type(exc).__name__, attempt=attempt)
            await pause(min(5.0, 0.1 * 2**attempt))


@dataclass(frozen=True)
class Subscription:
    """What a service consumes: a consumer spec and a handler per event type. A handler marked
    `driver_only` (consumer.driver_only) writes through `sprpa_shared.db.driver` alone: a fetch
    of such events only is handled in a plain asyncpg transaction (`DriverSessions`), without a
    SQLAlchemy session."""

    spec: ConsumerSpec
    handlers: dict[str, Handler]
    before: Before | None = None  # given the events a fetch acts on, before their handlers (consumer.handle_all)


def subscribe(settings: ServiceSettings, *, name: str, stream: str,
              handlers: Mapping[type[EventData], Callable[..., Awaitable[None]] | BatchHandler],
              subjects: list[str] | None = None, driver_only: bool = False) -> Subscription:
    """A durable consumer of `stream` and its handlers by event class, in one declaration. The
    consumer filters on exactly the subjects of those classes, unless `subjects` is given (a
    consumer that wants every event of a stream, e.g. for webhooks). `driver_only` marks every
    handler so (consumer.driver_only)."""
    wanted = subjects or sorted({model.subject_filter() for model in handlers})
    parsed = by_class(handlers)
    if driver_only:
        parsed = {event_type: mark_driver_only(handler) for event_type, handler in parsed.items()}
    return Subscription(spec=settings.consumer(name=name, stream=stream, subjects=wanted), handlers=parsed)


class EventBus:
    def __init__(
        self,
        *,
        service: str,
        nats_url: str,
        nats_options: dict | None = None,
        dsn: str,
        sessions: async_sessionmaker[AsyncSession],
        metrics: Metrics,
        subscriptions: list[Subscription],
        stream_replicas: int = 1,
        owns_stream: bool = True,
        statement_timeout: float = 60.0,
    ) -> None:
        self.service = service
        self._nats_url = nats_url
        self._nats_options = nats_options or {}
        self._dsn = dsn
        self._sessions = sessions
        self._metrics = metrics
        self._subscriptions = subscriptions
        self._replicas = stream_replicas
        self._owns_stream = owns_stream
        self.nc: NATS | None = None
        self.js: JetStreamContext | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[EventConsumer] = []
        self._tasks: list[asyncio.Task] = []
        self._provisioned = asyncio.Event()
        self._stopping = asyncio.Event()
        # What every session of the service starts with; the relay is put in it once it runs (outbox.PUBLISHER).
        self._session_info: dict = sessions.kw.get("info") or {}
        sessions.kw["info"] = self._session_info
        # Driver-only handlers' transactions (consumer.driver_only): a pool of two, opened at first use.
        self._driver_sessions = DriverSessions(dsn, info=self._session_info, engine=sessions.kw.get("bind"),
                                               statement_timeout=statement_timeout)

    @property
    def ready(self) -> bool:
        return self._provisioned.is_set() and self.nc is not None and self.nc.is_connected

    @property
    def workers_alive(self) -> bool:
        """The relay and every consumer still run: one that died makes the service unready, so the
        orchestrator restarts it rather than it serving requests whose events never leave."""
        return all(not task.done() for task in self._tasks if task.get_name() != f"{self.service}-bus")

    async def wait_ready(self, timeout: float) -> None:
        await asyncio.wait_for(self._provisioned.wait(), timeout)

    async def deliver(self, envelope: Envelope) -> bool:
        """Handle one event as this service's consumer of its type would, inbox included, but
        without NATS (tests, and replaying a dead letter by hand). False: handled before."""
        for subscription in self._subscriptions:
            if envelope.type in subscription.handlers:
                return await handle_once(self._sessions, subscription.spec.durable, subscription.handlers, envelope,
                                         driver_sessions=self._driver_sessions, before=subscription.before)
        raise LookupError(f"the {self.service} service does not consume {envelope.type}")

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._connect_and_run(), name=f"{self.service}-bus"))

    async def _connect_and_run(self) -> None:
        # Until NATS is up, readyz says 503.
        self.nc = await connect_patiently(self._nats_url, name=f"sprpa-{self.service}", options=self._nats_options,
                                          pause=self._pause)
        self.js = self.nc.jetstream(timeout=5)
        while not self._provisioned.is_set():
            try:
                if self._owns_stream:
                    await ensure_service_stream(self.js, self.service, replicas=self._replicas)
                self._provisioned.set()
            except Exception as exc:  # noqa: BLE001
                log.warning("stream provisioning failed; retrying", error=type(exc).__name__)
                await self._pause(0.5)
        self.relay = OutboxRelay(dsn=self._dsn, js=self.js, metrics=self._metrics)
        self._spawn(self.relay.run(), name=f"{self.service}-relay")
        # From now on the service's transactions hand their events to the relay as they commit.
        self._session_info[PUBLISHER] = self.relay
        for subscription in self._subscriptions:
            consumer = EventConsumer(
                spec=subscription.spec,
                handlers=subscription.handlers,
                sessions=self._sessions,
                driver_sessions=self._driver_sessions,
                js=self.js,
                metrics=self._metrics,
                before=subscription.before,
            )
            self.consumers.append(consumer)
            self._spawn(consumer.run(), name=subscription.spec.durable)

    def _spawn(self, work, *, name: str) -> None:
        task = asyncio.create_task(work, name=name)
        task.add_done_callback(self._worker_ended)
        self._tasks.append(task)

    def _worker_ended(self, task: asyncio.Task) -> None:
        if self._stopping.is_set():
            return
        error = None if task.cancelled() else task.exception()
        log.error("event worker stopped unexpectedly; the service reports unready", worker=task.get_name(),
                  error=type(error).__name__ if error else "cancelled")

    async def _pause(self, seconds: float) -> None:
        """Wait before retrying, but no longer than until the service stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        if self._stopping.is_set():
            raise asyncio.CancelledError

    async def stop(self) -> None:
        """Stop fetching, let the relay finish its batch, drain the connection."""
        self._stopping.set()
        self._session_info.pop(PUBLISHER, None)  # a commit from now on wakes a relay (the next start's)
        for consumer in self.consumers:
            await consumer.stop()
        if self.relay is not None:
            await self.relay.stop()
        for task in self._tasks:
            if task.get_name() == f"{self.service}-bus":
                task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), timeout=10)
        if self.relay is not None:
            await self.relay.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._driver_sessions.close(), timeout=5)
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.drain(), timeout=5)


async def _log_error(exc: Exception) -> None:
    log.warning("NATS error", error=type(exc).__name__)


async def _log_disconnected() -> None:
    log.warning("NATS disconnected")


async def _log_reconnected() -> None:
    log.info("NATS reconnected")
