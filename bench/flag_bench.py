"""Flag-to-offers scenario: the latency from the district's HTTP flag in the registry to the
engine's offers committed and their events published, at a steady rate, end to end through
the real services (registry outbox -> NATS -> engine -> engine outbox -> NATS).

Beside it, in the same run and at the same rate, the raw JetStream round trip: publish (with
its PubAck) to a stream and receive from a consumer of it. Each flag carries two needs and the
directory has three MOU providers per need, so with the default two parallel offers every flag
must produce exactly four offers: more is a duplicate, fewer a loss.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
import uuid
from datetime import date, timedelta

import asyncpg
import httpx

from bench import import_bench
from bench.client import Pool
from bench.import_bench import FIRST, LAST
from bench.stack import BenchStack
from registry.testing import child_payload
from sprpa_shared.testing import wait_until

NEEDS = ["education.equivalency", "psychosocial.counselling"]
OFFERS_PER_FLAG = 2 * len(NEEDS)  # default parallel_offers (2) per need
PROVIDERS_PER_NEED = 3
IN_FLIGHT = 64  # requests open at once (connections); more wait their turn here
CONSENT = {"basis": "guardian", "given_by": "Ibu Sri", "relation": "mother", "given_on": "2026-11-20"}
ASSESSMENT = {"work": {"sector": "tobacco", "hours_per_day": 5, "hours_per_week": 30, "hazards": ["green_tobacco"]},
              "school_status": "out_of_school", "living_arrangement": "with_family", "root_causes": []}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _directory(client: httpx.AsyncClient, headers: dict, stack: BenchStack) -> None:
    offerings = []
    for need in NEEDS:
        for number in range(PROVIDERS_PER_NEED):
            org = (await client.post("/api/v1/organizations", headers=headers, json={
                "name": f"Bench {need} {number} {uuid.uuid4().hex[:6]}", "kind": "ngo", "regency_code": "35.09"}))
            org.raise_for_status()
            organization_id = org.json()["id"]
            (await client.post(f"/api/v1/organizations/{organization_id}/mous", headers=headers, json={
                "number": f"MOU-B-{uuid.uuid4().hex[:8]}", "regency_code": "35.09", "signed_date": "2026-01-05",
                "valid_from": "2026-01-10", "valid_until": "2027-12-31", "service_categories": [need]})
             ).raise_for_status()
            offering = await client.post("/api/v1/services", headers=headers, json={
                "organization_id": organization_id, "category": need, "name": f"Bench {need}",
                "regency_code": "35.09", "min_age": 6, "max_age": 17, "capacity": 100_000})
            offering.raise_for_status()
            offerings.append(offering.json()["id"])
    engine = await asyncpg.connect(stack.database_url("referral"))
    try:
        async def replicated() -> bool:
            return await engine.fetchval("SELECT count(*) FROM replica_offerings WHERE id = ANY($1::uuid[])",
                                         offerings) == len(offerings)

        await wait_until(replicated, timeout=60, what="bench directory in the engine's replica")
    finally:
        await engine.close()


async def prepared(stack: BenchStack) -> dict:
    """A national admin's headers, once the bench directory is in place and in the engine's replica."""
    admin = {"Authorization": f"Bearer {stack.token('--role', 'national_admin')}"}
    async with httpx.AsyncClient(base_url="http://127.0.0.1:8102", timeout=60) as providers:
        await _directory(providers, admin, stack)
    return admin


async def _retried(client: httpx.AsyncClient, path: str, body: dict, headers: dict) -> httpx.Response:
    """Preparation only: a dropped keep-alive connection is retried (creation has an Idempotency-Key)."""
    for attempt in range(3):
        try:
            response = await client.post(path, json=body, headers=headers)
            response.raise_for_status()
            return response
        except httpx.TransportError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _children(client: httpx.AsyncClient, headers: dict, count: int, villages: list[str],
                    concurrency: int = 8) -> list[str]:
    """Registered and assessed children (varied names, birth dates and desa, as a real survey), ready to flag."""
    rng = random.Random(count)
    ids: list[str] = []
    todo = iter(range(count))  # shared by the workers

    async def worker() -> None:
        for _ in todo:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.randint(1, 99999)}"
            born = (date(2009, 1, 1) + timedelta(days=rng.randint(0, 2500))).isoformat()
            body = child_payload(full_name=name, nik=None, sex=rng.choice(("female", "male")),
                                 village_code=rng.choice(villages), birth_date=born)
            key = {"Idempotency-Key": f"bench-{uuid.uuid4()}"}
            created = await _retried(client, "/api/v1/children", body, headers | key)
            child_id = created.json()["id"]
            await _retried(client, f"/api/v1/children/{child_id}/assessments", ASSESSMENT,
                           {**headers, "If-Match": "*"})
            ids.append(child_id)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ids


async def _flag_run(stack: BenchStack, headers: dict, children: list[str], rate: float) -> dict:
    """Flag every child at `rate` per second; per flag, the time to its last offer event. The flags
    go on IN_FLIGHT keep-alive connections of the bench's bare client (`bench.client`): httpx's own
    0.75 ms a request was in every latency measured."""
    sent: dict[str, float] = {}
    offers: dict[str, list[float]] = {}
    http_ms: list[float] = []
    errors: list[int | str] = []
    acknowledged: list[str] = []  # flags answered 201: each must get exactly its offers
    nc = await stack.connect_nats()

    async def on_event(message) -> None:
        envelope = json.loads(message.data)
        if envelope["data"]["status"] == "offered":
            offers.setdefault(envelope["data"]["child_id"], []).append(time.perf_counter())

    await nc.subscribe("sprpa.referral.referral.status_changed.>", cb=on_event)
    await nc.flush()

    connections = Pool("127.0.0.1", 8101, headers["Authorization"], IN_FLIGHT)
    body = {"root_causes": [], "extra_needs": NEEDS, "consent": CONSENT}

    async def flag(child_id: str) -> None:
        # The clock starts at the scheduled moment: time spent queued behind a slow system counts.
        sent[child_id] = started = time.perf_counter()
        status = await connections.post(f"/api/v1/children/{child_id}/flag", body)
        if isinstance(status, str):
            errors.append(status)
            return
        http_ms.append((time.perf_counter() - started) * 1000)
        if status == 201:
            acknowledged.append(child_id)
        else:
            errors.append(status)

    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task] = []
    begin = loop.time() + 0.2
    for index, child_id in enumerate(children):  # open loop: the n-th flag leaves at begin + n / rate
        loop.call_at(begin + index / rate, lambda c=child_id: tasks.append(asyncio.ensure_future(flag(c))))

    async def all_offered() -> bool:  # every flag answered, and every accepted flag's offers seen
        return len(tasks) == len(children) and all(t.done() for t in tasks) and \
            sum(len(v) for v in offers.values()) >= (len(children) - len(errors)) * OFFERS_PER_FLAG

    try:  # a saturated system drains its queue: wait for it, within reason
        await wait_until(all_offered, timeout=4 * len(children) / rate + 120, interval=0.05,
                         what="every flag's offers published")
    except AssertionError:
        pass  # counted below as lost
    # Late duplicates would arrive within moments; the database is the second witness.
    await nc.drain()
    await connections.close()
    latencies = [(max(times) - sent[child]) * 1000 for child, times in offers.items()
                 if len(times) >= OFFERS_PER_FLAG and child in sent]
    per_child = [len(offers.get(child, [])) for child in acknowledged]
    return {
        "flags": len(children),
        "flag_errors": len(errors),
        "latency_ms": latencies,
        "http_flag_ms": http_ms,
        "lost_offers": sum(max(0, OFFERS_PER_FLAG - n) for n in per_child),
        "duplicated_offers": sum(max(0, n - OFFERS_PER_FLAG) for n in per_child),
    }


async def _database_check(stack: BenchStack, children: list[str]) -> dict:
    engine = await asyncpg.connect(stack.database_url("referral"))
    try:
        counts = await engine.fetch(
            "SELECT child_id, count(*) AS n, count(DISTINCT (need_id, organization_id)) AS distinct_pairs "
            "FROM referrals WHERE child_id = ANY($1::uuid[]) GROUP BY child_id", children)
        return {"children_with_offers": len(counts),
                "wrong_offer_count": sum(1 for row in counts if row["n"] != OFFERS_PER_FLAG),
                "duplicate_pairs": sum(row["n"] - row["distinct_pairs"] for row in counts)}
    finally:
        await engine.close()


async def _raw_round_trip(stack: BenchStack, rate: float, count: int) -> list[float]:
    """JetStream publish (awaiting the PubAck) to a push consumer's receipt, at the same rate."""
    nc = await stack.connect_nats()
    js = nc.jetstream()
    await js.add_stream(name="BENCH_RAW", subjects=["bench.raw.>"])
    received: dict[int, float] = {}
    published: dict[int, float] = {}

    async def on_message(message) -> None:
        received[int(message.data)] = time.perf_counter()
        await message.ack()

    await js.subscribe("bench.raw.>", durable="bench-raw", cb=on_message, manual_ack=True)

    async def publish(index: int) -> None:
        published[index] = time.perf_counter()
        await js.publish(f"bench.raw.{index % 16}", str(index).encode())

    loop = asyncio.get_running_loop()
    begin = loop.time() + 0.2
    for index in range(count):
        loop.call_at(begin + index / rate, lambda i=index: asyncio.ensure_future(publish(i)))
    await wait_until(lambda: len(received) == count, timeout=count / rate + 60, interval=0.05,
                     what="raw round trips")
    await js.delete_stream("BENCH_RAW")
    await nc.drain()
    return [(received[i] - published[i]) * 1000 for i in range(count)]


async def run(stack: BenchStack, *, rates: list[float], seconds: float, runs: int) -> list[dict]:
    """One result per rate: a sustainable rate shows the latency of the path, a higher one the queueing."""
    admin = await prepared(stack)
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    results = []
    async with httpx.AsyncClient(base_url="http://127.0.0.1:8101", timeout=120, limits=limits) as registry:
        needed = sum(int(rate * seconds) * runs for rate in rates)
        preparing = time.perf_counter()
        pool = await _children(registry, admin, needed, await import_bench.villages(stack))
        prepare_seconds = time.perf_counter() - preparing
        for rate in rates:
            flags_per_run = int(rate * seconds)
            flag_runs, raw_runs, used = [], [], []
            for _ in range(runs):
                batch, pool = pool[:flags_per_run], pool[flags_per_run:]
                used += batch
                flag_runs.append(await _flag_run(stack, admin, batch, rate))
                raw_runs.append(await _raw_round_trip(stack, rate, min(flags_per_run, int(rate * 20))))
            results.append(_summarise(rate, seconds, runs, flag_runs, raw_runs, await _database_check(stack, used),
                                      prepare_seconds))
    return results


def _summarise(rate: float, seconds: float, runs: int, flag_runs: list[dict], raw_runs: list[list[float]],
               check: dict, prepare_seconds: float) -> dict:
    measured = [r for r in flag_runs if r["latency_ms"]]
    p50s = [statistics.median(r["latency_ms"]) for r in measured] or [float("nan")]
    p99s = [percentile(r["latency_ms"], 0.99) for r in measured] or [float("nan")]
    raw_p50s = [statistics.median(r) for r in raw_runs]
    raw_p99s = [percentile(r, 0.99) for r in raw_runs]
    p50, p99, raw_p50, raw_p99 = (statistics.median(v) for v in (p50s, p99s, raw_p50s, raw_p99s))
    return {
        "rate_per_second": rate,
        "seconds_per_run": seconds,
        "runs": runs,
        "flags": sum(r["flags"] for r in flag_runs),
        "offers_per_flag": OFFERS_PER_FLAG,
        "prepare_children_seconds": round(prepare_seconds, 1),
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "http_flag_p50_ms": round(statistics.median(statistics.median(r["http_flag_ms"] or [0]) for r in flag_runs), 1),
        "raw_jetstream_p50_ms": round(raw_p50, 2),
        "raw_jetstream_p99_ms": round(raw_p99, 2),
        "ratio_p50_to_raw": round(p50 / raw_p50, 1),
        "ratio_p99_to_raw": round(p99 / raw_p99, 1),
        "flag_errors": sum(r["flag_errors"] for r in flag_runs),
        "lost_offers": sum(r["lost_offers"] for r in flag_runs),
        "duplicated_offers": sum(r["duplicated_offers"] for r in flag_runs),
        "database": check,
        "per_run_p50_ms": [round(v, 1) for v in p50s],
        "per_run_p99_ms": [round(v, 1) for v in p99s],
        "goal": "p50 <= 10 ms, p99 <= 50 ms at 100 flags/s, zero lost or duplicated offers",
    }
