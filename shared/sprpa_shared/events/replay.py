"""Rebuild what a service keeps from other services' events by replaying their streams.

Empties the given tables and the consumers' inbox rows and deletes the durable consumers; the
running service re-creates them (deliver all) and replays every stream into the empty tables.
Handlers are idempotent and order-independent across streams, so the result is what live
consumption produced.
"""

from __future__ import annotations

import asyncpg
import nats
from nats.js.errors import NotFoundError

from sprpa_shared.events.bus import server_list
from sprpa_shared.events.streams import ConsumerSpec
from sprpa_shared.observability import get_logger
from sprpa_shared.settings import ServiceSettings

log = get_logger(__name__)


async def replay(settings: ServiceSettings, *, tables: tuple[str, ...], consumers: list[ConsumerSpec]) -> None:
    connection = await asyncpg.connect(settings.asyncpg_url)
    try:
        async with connection.transaction():
            await connection.execute(f"TRUNCATE {', '.join(tables)}")
            await connection.execute("DELETE FROM inbox WHERE consumer = ANY($1::text[])",
                                     [spec.durable for spec in consumers])
    finally:
        await connection.close()
    client = await nats.connect(servers=server_list(settings.nats_url), **settings.nats_options())
    try:
        js = client.jetstream()
        for spec in consumers:
            try:
                await js.delete_consumer(spec.stream, spec.durable)
            except NotFoundError:
                continue
    finally:
        await client.drain()
    log.info("emptied for replay", tables=list(tables), consumers=[spec.durable for spec in consumers])
