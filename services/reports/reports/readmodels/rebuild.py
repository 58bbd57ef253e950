"""Rebuild every read model by replaying the streams from their first event.

Empties the read-model tables and the inbox, and deletes the service's durable consumers; the
running service re-creates them (deliver all) and replays everything into the empty tables.
The district's own inputs (pilot targets) and the audit log are kept.
"""

from __future__ import annotations

import asyncpg
import nats
from nats.js.errors import NotFoundError

from reports.settings import ReportsSettings
from sprpa_shared.events.streams import ConsumerSpec
from sprpa_shared.observability import get_logger

log = get_logger(__name__)
READ_MODELS = ("rm_children", "rm_case_moves", "rm_visits", "rm_flags", "rm_referrals", "rm_gaps",
               "rm_organizations", "rm_offerings", "rm_progress")


def consumers(settings: ReportsSettings) -> list[ConsumerSpec]:
    return [
        settings.consumer(name="registry", stream="REGISTRY", subjects=["sprpa.registry.>"]),
        settings.consumer(name="referral", stream="REFERRAL", subjects=["sprpa.referral.>"]),
        settings.consumer(name="providers", stream="PROVIDERS", subjects=[
            "sprpa.providers.organization.upserted.>", "sprpa.providers.offering.changed.>"]),
    ]


async def rebuild(settings: ReportsSettings) -> None:
    connection = await asyncpg.connect(settings.asyncpg_url)
    try:
        async with connection.transaction():
            await connection.execute(f"TRUNCATE {', '.join(READ_MODELS)}, inbox")
    finally:
        await connection.close()
    client = await nats.connect(settings.nats_url)
    try:
        js = client.jetstream()
        for spec in consumers(settings):
            try:
                await js.delete_consumer(spec.stream, spec.durable)
            except NotFoundError:
                continue
    finally:
        await client.drain()
    log.info("read models emptied; the service replays every stream into them")
