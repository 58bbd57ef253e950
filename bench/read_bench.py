"""GET child by id: 50 clients at once read children through the registry's API, as a kabupaten's
operators would (token checked, read authorised by role and place, audited, name and NIK
decrypted, JSON), for a fixed time; beside it, in the same run, 50 raw asyncpg connections fetch
the same rows by primary key for the same time.

Every client sends its next request as soon as the last one is answered (closed loop), so the
figures are latency at that concurrency and the throughput it reaches. The bench's own client
runs on the same two cores as the stack, so it is a bare HTTP/1.1 keep-alive connection per
client (`bench.client`): httpx spent 10 ms of CPU per request here, more than the registry (7.8
ms), and capped the figure at 60-84 requests/s.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time

import asyncpg
import httpx

from bench import import_bench
from bench.client import FAILED, KeepAlive
from bench.flag_bench import _children, percentile
from bench.stack import BenchStack

CLIENTS = 50


class ChildReads:
    """Reads for `_closed_loop`: client n GETs a child on its own keep-alive connection to the
    registry; True if answered 200 (a failed connection is closed, the next read opens another)."""

    def __init__(self, authorization: str) -> None:
        self.connections = [KeepAlive("127.0.0.1", 8101, authorization) for _ in range(CLIENTS)]

    async def __call__(self, client: int, child_id: str) -> bool:
        try:
            return await self.connections[client].get(f"/api/v1/children/{child_id}") == 200
        except FAILED:
            await self.connections[client].close()
            return False

    async def close(self) -> None:
        for connection in self.connections:
            await connection.close()


async def _closed_loop(read, ids: list[str], seconds: float) -> tuple[list[float], int]:
    """CLIENTS workers reading random ids until the time is up: (latencies in ms, errors)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            if await read(seed, rng.choice(ids)):
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1

    await asyncio.gather(*(worker(seed) for seed in range(CLIENTS)))
    return latencies, errors


def _figures(latencies: list[float], errors: int, seconds: float) -> dict:
    return {"p50_ms": round(statistics.median(latencies), 2), "p99_ms": round(percentile(latencies, 0.99), 2),
            "requests_per_second": round(len(latencies) / seconds), "requests": len(latencies), "errors": errors}


async def run(stack: BenchStack, *, children: int = 1_000, seconds: float = 20.0, runs: int = 3) -> dict:
    admin = {"Authorization": f"Bearer {stack.token('--role', 'national_admin')}"}
    operator = {"Authorization": f"Bearer {stack.token('--role', 'district_operator', '--regency', '35.09')}"}
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url="http://127.0.0.1:8101", timeout=60, limits=limits) as registry:
        ids = await _children(registry, admin, children, await import_bench.villages(stack))

    api_read = ChildReads(operator["Authorization"])

    try:
        pool = await asyncpg.create_pool(stack.database_url("registry"), min_size=CLIENTS, max_size=CLIENTS)
        audited_before = await pool.fetchval("SELECT count(*) FROM audit_log")
        try:
            async def raw_read(_: int, child_id: str) -> bool:
                async with pool.acquire() as connection:
                    return await connection.fetchrow("SELECT * FROM children WHERE id = $1::uuid",
                                                     child_id) is not None

            api_runs, raw_runs = [], []
            for _ in range(runs):
                api_runs.append(_figures(*await _closed_loop(api_read, ids, seconds), seconds))
                raw_runs.append(_figures(*await _closed_loop(raw_read, ids, seconds), seconds))
            audited = await pool.fetchval("SELECT count(*) FROM audit_log") - audited_before
        finally:
            await pool.close()
    finally:
        await api_read.close()

    def median(figures: list[dict], key: str) -> float:
        return statistics.median(f[key] for f in figures)

    api_p99, raw_p99 = median(api_runs, "p99_ms"), median(raw_runs, "p99_ms")
    return {
        "clients": CLIENTS, "children": children, "seconds_per_run": seconds, "runs": runs,
        "api_p50_ms": median(api_runs, "p50_ms"), "api_p99_ms": api_p99,
        "api_requests_per_second": median(api_runs, "requests_per_second"),
        "api_errors": sum(f["errors"] for f in api_runs),
        "raw_p50_ms": median(raw_runs, "p50_ms"), "raw_p99_ms": raw_p99,
        "raw_requests_per_second": median(raw_runs, "requests_per_second"),
        "ratio_p99_to_raw": round(api_p99 / raw_p99, 1) if raw_p99 else None,
        "api_reads_answered": sum(f["requests"] for f in api_runs),
        "audit_rows_written": audited,  # one per read answered: every read of a child is audited
        "per_run": {"api": api_runs, "raw": raw_runs},
        "goal": "p99 <= 15 ms at 50 concurrent clients",
    }
