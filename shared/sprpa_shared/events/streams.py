"""JetStream streams and consumers, provisioned idempotently at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

DEAD_LETTER_STREAM = "DEADLETTER"
DEAD_LETTER_PREFIX = "sprpa.deadletter"
DUPLICATE_WINDOW_SECONDS = 120.0


def stream_name(service: str) -> str:
    """One stream per owning service: REGISTRY, PROVIDERS, REFERRAL..."""
    return service.upper()


def stream_subjects(service: str) -> list[str]:
    return [f"sprpa.{service}.>"]


async def ensure_stream(js: JetStreamContext, *, name: str, subjects: list[str], replicas: int) -> None:
    """Create the stream, or bring an existing one to this configuration. Safe to call on every start."""
    config = _config(name, subjects, replicas)
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(config)
        return
    await js.update_stream(config)


def _config(name: str, subjects: list[str], replicas: int) -> StreamConfig:
    return StreamConfig(
        name=name,
        subjects=subjects,
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        num_replicas=replicas,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        deny_delete=True,
        deny_purge=True,
        max_age=0,  # kept until removed by an operator: read models are rebuilt by replay
    )


async def ensure_service_stream(js: JetStreamContext, service: str, *, replicas: int) -> None:
    """The service's own stream, brought to this configuration, and the shared dead-letter stream,
    created if missing but never changed: no service may loosen it for the others."""
    await ensure_stream(js, name=stream_name(service), subjects=stream_subjects(service), replicas=replicas)
    try:
        await js.stream_info(DEAD_LETTER_STREAM)
    except NotFoundError:
        await js.add_stream(_config(DEAD_LETTER_STREAM, [f"{DEAD_LETTER_PREFIX}.>"], replicas))


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer: which stream, which subjects, and its delivery limits."""

    durable: str
    stream: str
    filter_subjects: tuple[str, ...]
    ack_wait: float = 30.0
    max_deliver: int = 5
    backoff: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)

    @property
    def service(self) -> str:
        """The consuming service: durable names are `<service>-<name>`."""
        return self.durable.split("-", 1)[0]

    @property
    def owner(self) -> str:
        """The service that owns the stream, and so every event in it."""
        return self.stream.lower()

    def retry_delay(self, delivered: int) -> float:
        """How long to wait before delivery number `delivered + 1` after a failed attempt."""
        return self.backoff[min(delivered, len(self.backoff)) - 1] if self.backoff else 0.0

    def config(self) -> ConsumerConfig:
        # No server-side backoff: it would override ack_wait and redeliver while a slow handler still
        # works. A failed handler NAKs with its own delay from `backoff` instead (see consumer.py).
        return ConsumerConfig(
            durable_name=self.durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=self.max_deliver,
            filter_subjects=list(self.filter_subjects),
            max_ack_pending=1000,
        )


async def ensure_consumer(js: JetStreamContext, spec: ConsumerSpec) -> None:
    await js.add_consumer(spec.stream, spec.config())
