"""Notify scenario: how fast the notify service handles events, and how long an offer takes from
the engine's commit to its email accepted by the SMTP server, end to end through the real services
(registry flag -> engine offers -> NATS -> notify notice and delivery -> SMTP), beside the raw
JetStream round trip at the same rate.

- Offer to email: the bench directory's organisations each get one member of staff with an email
  address; children are flagged at `rate` per second (four offers each); each email names its
  offer's page (`/inbox/<referral id>`), so its arrival (the sink's file, written when the SMTP
  server accepted it) is matched with the offer's `offered_at` in the engine's database.
- Events per second: `burst` offer events published at once into the REFERRAL stream, as the
  engine's relay publishes them, to the same organisations; the time until the notify service's
  inbox holds every one, and the notify process's own CPU time per event (from its counters). Each
  event writes its notice and queues its email, which is then sent (counted apart).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from bench import flag_bench, import_bench
from bench.flag_bench import OFFERS_PER_FLAG, percentile
from bench.stack import BenchStack
from sprpa_contracts import events as ev
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.testing import wait_until

NOTIFY = "http://127.0.0.1:8105"
REFERRAL_PAGE = re.compile(r"/inbox/([0-9a-f-]{36})")


async def _organizations(stack: BenchStack) -> list[str]:
    providers = await asyncpg.connect(stack.database_url("providers"))
    try:
        return [str(row["id"]) for row in await providers.fetch(
            "SELECT id FROM organizations WHERE name LIKE 'Bench %' ORDER BY id")]
    finally:
        await providers.close()


async def _staff(stack: BenchStack, organizations: list[str]) -> None:
    async with httpx.AsyncClient(base_url=NOTIFY, timeout=30) as notify:
        for number, organization in enumerate(organizations):
            token = stack.token("--role", "provider_staff", "--org", organization, "--subject", f"staff-{number}")
            answer = await notify.put("/api/v1/notifications/preferences", headers={"Authorization": f"Bearer {token}"},
                                      json={"email": f"staff-{number}@bench.example"})
            answer.raise_for_status()


def _mail(stack: BenchStack, seen: set) -> dict[str, float]:
    """The referral id of each new email in the sink's folder, and when the sink wrote it."""
    arrived = {}
    for path in (stack.data / "mail").glob("*.eml"):
        if path.name in seen:
            continue
        seen.add(path.name)
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if found := REFERRAL_PAGE.search(message.get_body(("plain",)).get_content()):
            arrived[found.group(1)] = path.stat().st_mtime
    return arrived


def _cpu(stack: BenchStack) -> float:
    times = stack.service_process("notify").cpu_times()
    return times.user + times.system


async def _offer_to_email(stack: BenchStack, rate: float, seconds: float, seen: set) -> dict:
    admin = {"Authorization": f"Bearer {stack.token('--role', 'national_admin')}"}
    async with httpx.AsyncClient(base_url="http://127.0.0.1:8101", timeout=120) as registry:
        children = await flag_bench._children(registry, admin, int(rate * seconds),
                                              await import_bench.villages(stack))
        _mail(stack, seen)  # nothing before the run counts
        cpu = _cpu(stack)
        flagged = await flag_bench._flag_run(stack, admin, children, rate)
    expected = (len(children) - flagged["flag_errors"]) * OFFERS_PER_FLAG
    arrived: dict[str, float] = {}

    def all_mailed() -> bool:
        arrived.update(_mail(stack, seen))
        return len(arrived) >= expected

    await wait_until(all_mailed, timeout=120, interval=0.1, what="every offer's email")
    cpu = _cpu(stack) - cpu
    engine = await asyncpg.connect(stack.database_url("referral"))
    try:
        offered = {str(row["id"]): row["offered_at"].timestamp() for row in await engine.fetch(
            "SELECT id, offered_at FROM referrals WHERE id = ANY($1::uuid[])", list(arrived))}
    finally:
        await engine.close()
    latencies = [(arrived[referral] - at) * 1000 for referral, at in offered.items()]
    raw = await flag_bench._raw_round_trip(stack, rate * OFFERS_PER_FLAG, min(len(latencies), 400))
    return {"rate_flags_per_second": rate, "offers": len(latencies), "emails_expected": expected,
            "p50_ms": round(statistics.median(latencies), 1), "p99_ms": round(percentile(latencies, 0.99), 1),
            "raw_jetstream_p50_ms": round(statistics.median(raw), 2),
            "raw_jetstream_p99_ms": round(percentile(raw, 0.99), 2),
            "notify_cpu_ms_per_offer": round(cpu * 1000 / max(len(latencies), 1), 2)}


async def _events_per_second(stack: BenchStack, organizations: list[str], burst: int, seen: set) -> dict:
    nc = await stack.connect_nats()
    js = nc.jetstream()
    now = datetime.now(UTC)
    offers = [ev.ReferralStatusChanged(
        referral_id=uuid.uuid4(), child_id=uuid.uuid4(), village_code="35.09.11.2007", need="education.equivalency",
        organization_id=uuid.UUID(organizations[index % len(organizations)]), status="offered", on=now.date(),
        respond_by=now + timedelta(hours=48)) for index in range(burst)]
    envelopes = [Envelope.wrap(offer, time=now) for offer in offers]
    ids = [envelope.id for envelope in envelopes]
    notify = await asyncpg.connect(stack.database_url("notify"))
    _mail(stack, seen)
    try:
        cpu, started = _cpu(stack), time.perf_counter()
        for chunk in range(0, burst, 200):
            await asyncio.gather(*(js.publish(offer.subject(), envelope.to_bytes(),
                                              headers={"Nats-Msg-Id": str(envelope.id)})
                                   for offer, envelope in zip(offers[chunk:chunk + 200], envelopes[chunk:chunk + 200],
                                                              strict=True)))

        async def handled() -> bool:
            return await notify.fetchval("SELECT count(*) FROM inbox WHERE event_id = ANY($1::uuid[])", ids) == burst

        await wait_until(handled, timeout=300, interval=0.05, what="the burst handled")
        handled_seconds, handled_cpu = time.perf_counter() - started, _cpu(stack) - cpu
        mailed: dict[str, float] = {}

        def all_mailed() -> bool:
            mailed.update(_mail(stack, seen))
            return len(mailed) >= burst

        await wait_until(all_mailed, timeout=600, interval=0.2, what="the burst's emails")
        mailed_seconds, mailed_cpu = time.perf_counter() - started, _cpu(stack) - cpu
    finally:
        await notify.close()
        await nc.drain()
    return {"events": burst, "events_per_second": round(burst / handled_seconds),
            "notify_cpu_ms_per_event": round(handled_cpu * 1000 / burst, 2),
            "emails_per_second": round(burst / mailed_seconds),
            "notify_cpu_ms_per_event_and_email": round(mailed_cpu * 1000 / burst, 2)}


async def run(stack: BenchStack, *, rate: float, seconds: float, burst: int) -> dict:
    await flag_bench.prepared(stack)  # the bench directory (idempotent enough: more organisations, same figures)
    organizations = await _organizations(stack)
    await _staff(stack, organizations)
    seen: set = set()
    return {"offer_to_email": await _offer_to_email(stack, rate, seconds, seen),
            "burst": await _events_per_second(stack, organizations, burst, seen)}
