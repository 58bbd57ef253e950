"""Two real services wired by real NATS: registry emits through its outbox, referral consumes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from referral.settings import ReferralSettings
from registry.settings import RegistrySettings
from sprpa_contracts.events import CaseFlagged
from sprpa_shared.app import create_service_app
from sprpa_shared.db import execute
from sprpa_shared.events.access import ADMIN
from sprpa_shared.events.bus import Subscription
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.testing.apps import running

EFFECTS_DDL = "CREATE TABLE IF NOT EXISTS platform_test_effects (event_id uuid NOT NULL, child_id uuid NOT NULL)"
ALWAYS_FAILS = uuid.UUID("00000000-0000-0000-0000-00000000dead")


def flagged(child_id: uuid.UUID | None = None) -> CaseFlagged:
    return CaseFlagged(
        child_id=child_id or uuid.uuid4(),
        village_code="35.09.11.2007",
        age=14,
        sex="female",
        classification="child_labour",
        needs=["education.formal_school"],
    )


async def record_effect(session: AsyncSession, envelope: Envelope) -> None:
    """The consumer's side effect: one row per handled event (so a second effect would show)."""
    child_id = uuid.UUID(envelope.data["child_id"])
    if child_id == ALWAYS_FAILS:
        raise RuntimeError("this handler never succeeds for this child")
    # Through `driver` (db.execute): the same in a SQLAlchemy session and a driver-only transaction.
    await execute(session, _EFFECT, {"e": envelope.id, "c": child_id})


_EFFECT = text("INSERT INTO platform_test_effects (event_id, child_id) VALUES (:e, :c)")


@dataclass
class Pair:
    registry: FastAPI
    referral: FastAPI
    referral_url: str
    registry_url: str

    async def effects(self) -> list[uuid.UUID]:
        connection = await asyncpg.connect(self.referral_url)
        try:
            return [row["child_id"] for row in await connection.fetch("SELECT child_id FROM platform_test_effects")]
        finally:
            await connection.close()

    async def registry_rows(self, query: str):
        connection = await asyncpg.connect(self.registry_url)
        try:
            return await connection.fetch(query)
        finally:
            await connection.close()


def flag_subscription(settings: ReferralSettings) -> Subscription:
    return Subscription(
        spec=settings.consumer(name="flags", stream="REGISTRY", subjects=["sprpa.registry.case.flagged.>"]),
        handlers={CaseFlagged.event_type: record_effect},
    )


@pytest.fixture
async def pair(request, make_settings, issuer, servers):
    """Registry and referral apps; `indirect` param False leaves the referral's consumer out."""
    subscribed = getattr(request, "param", True)
    # Both connect as the NATS admin: these tests inspect streams and run consumers no service owns.
    registry_settings = await make_settings(RegistrySettings, nats_seed_file=servers.nats_seed_file(ADMIN))
    referral_settings = await make_settings(ReferralSettings, nats_seed_file=servers.nats_seed_file(ADMIN))
    connection = await asyncpg.connect(referral_settings.asyncpg_url)
    await connection.execute(EFFECTS_DDL)
    await connection.execute("TRUNCATE platform_test_effects")
    await connection.close()
    registry = create_service_app(registry_settings, title="registry", description="", verifier=issuer.verifier())
    referral = create_service_app(
        referral_settings,
        title="referral",
        description="",
        verifier=issuer.verifier(),
        subscriptions=[flag_subscription(referral_settings)] if subscribed else [],
    )
    async with running(registry), running(referral):
        yield Pair(registry, referral, referral_settings.asyncpg_url, registry_settings.asyncpg_url)
