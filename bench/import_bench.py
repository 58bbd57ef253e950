"""Import scenario: N generated survey rows through POST /api/v1/imports, beside raw COPY of the same file
and the import's floor (`bench.import_floor`)."""

from __future__ import annotations

import csv
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx

from bench import import_floor
from bench.cpu_counters import PeakRss, cpu_seconds, per_row, registry_events_consumed, rss_of
from bench.stack import BenchStack
from sprpa_shared.testing import wait_until

HEADER = ["full_name", "sex", "birth_date", "nik", "village_code", "school_status", "working", "sector",
          "hours_per_day", "hours_per_week", "hazards"]
FIRST = ["Siti", "Ayu", "Dewi", "Rina", "Budi", "Joko", "Agus", "Putri", "Rizky", "Nur", "Eko", "Wahyu", "Indah"]
LAST = ["Aminah", "Santoso", "Lestari", "Rahmawati", "Hidayat", "Saputra", "Wulandari", "Pratama", "Kusuma"]
SECTORS = ["tobacco", "agriculture", "fishing", "trade", "domestic"]


async def villages(stack: BenchStack, regency: str = "35.09") -> list[str]:
    connection = await asyncpg.connect(stack.database_url("registry"))
    try:
        return [r["code"] for r in await connection.fetch(
            "SELECT code FROM regions WHERE level = 4 AND code LIKE $1 || '.%' ORDER BY code", regency)]
    finally:
        await connection.close()


def generate(path: Path, rows: int, codes: list[str], seed: int) -> None:
    """Survey rows in Jember: a third working (some hazardous), no NIKs (so no NIK duplicates)."""
    rng = random.Random(seed)
    today = date(2026, 11, 23)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for _ in range(rows):
            birth = today - timedelta(days=rng.randint(6 * 365, 17 * 365))
            working = rng.random() < 0.33
            hours_day = rng.randint(1, 8)
            writer.writerow([
                f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.randint(1, 99999)}",
                rng.choice(("female", "male")), birth.isoformat(), "", rng.choice(codes),
                rng.choice(("in_school", "in_school", "out_of_school")),
                "yes" if working else "no",
                rng.choice(SECTORS) if working else "",
                hours_day if working else "", hours_day * rng.randint(1, 6) if working else "",
                "green_tobacco" if working and rng.random() < 0.2 else "",
            ])


async def raw_copy(stack: BenchStack, path: Path) -> float:
    """Seconds for COPY of the file into a plain table with the same columns: the floor."""
    connection = await asyncpg.connect(stack.database_url("registry"))
    try:
        await connection.execute("DROP TABLE IF EXISTS bench_raw_copy")
        await connection.execute("CREATE TABLE bench_raw_copy (" + ", ".join(f"{c} text" for c in HEADER) + ")")
        started = time.perf_counter()
        with open(path, "rb") as handle:
            await connection.copy_to_table("bench_raw_copy", source=handle, format="csv", header=True)
        elapsed = time.perf_counter() - started
        await connection.execute("DROP TABLE bench_raw_copy")
        return elapsed
    finally:
        await connection.close()


async def through_api(stack: BenchStack, path: Path, token: str) -> dict:
    """Upload and wait for completion; seconds, the registry's peak RSS (MB, with its import worker's),
    and the import's counts."""
    baseline = rss_of(stack.service_process("registry")) / 2**20
    headers = {"Authorization": f"Bearer {token}"}
    async with PeakRss(stack, every=0.1, services=("registry",)) as sampler, \
            httpx.AsyncClient(base_url="http://127.0.0.1:8101", timeout=600) as client:
        started = time.perf_counter()
        with open(path, "rb") as handle:
            response = await client.post("/api/v1/imports", files={"file": (path.name, handle, "text/csv")},
                                         data={"mode": "valid_rows_only"}, headers=headers)
        response.raise_for_status()
        url = response.headers["Location"]

        async def finished():
            body = (await client.get(url, headers=headers)).json()
            return body if body["status"] in ("completed", "failed") else None

        status = await wait_until(finished, timeout=3600, interval=0.2, what="import completed")
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "rss_before_mb": round(baseline, 1),
            "rss_peak_mb": max(baseline, sampler.peaks.get("registry", 0.0)), "status": status}


async def run(stack: BenchStack, results: Path, *, rows: int, runs: int) -> dict:
    codes = await villages(stack)
    token = stack.token("--role", "national_admin")
    api_runs, copy_runs, floor_runs = [], [], []
    for run_index in range(runs):
        path = results / f"survey-{rows}-{run_index}.csv"
        generate(path, rows, codes, seed=run_index)
        copy_runs.append(await raw_copy(stack, path))
        floor_runs.append(await import_floor.floor(stack, path))
        before = cpu_seconds(stack)
        api_runs.append(await through_api(stack, path, token))
        await registry_events_consumed(stack)  # the import's events consumed: their CPU counts for it
        api_runs[-1]["cpu_us_per_row"] = per_row(before, cpu_seconds(stack), rows)
        path.unlink()
    api_seconds = statistics.median(r["seconds"] for r in api_runs)
    copy_seconds = statistics.median(copy_runs)
    floor_seconds = statistics.median(run["seconds"] for run in floor_runs)
    return {
        "rows": rows,
        "runs": runs,
        "api_seconds_median": round(api_seconds, 2),
        "api_rows_per_second": round(rows / api_seconds),
        # Each run imports into the children the runs before it left: the trend shows a row's cost
        # against the table's size.
        "api_rows_per_second_runs": [round(rows / r["seconds"]) for r in api_runs],
        "raw_copy_seconds_median": round(copy_seconds, 2),
        "raw_copy_rows_per_second": round(rows / copy_seconds),
        "ratio_to_raw_copy": round(copy_seconds / api_seconds, 4),
        "floor_seconds_median": round(floor_seconds, 2),
        "floor_rows_per_second": round(floor_runs[0]["rows"] / floor_seconds),
        "floor_postgres_us_per_row": statistics.median(run["postgres_us_per_row"] for run in floor_runs),
        "ratio_to_floor": round(floor_seconds / api_seconds, 4),
        "registry_peak_rss_mb": max(r["rss_peak_mb"] for r in api_runs),
        "registry_rss_before_mb": api_runs[0]["rss_before_mb"],
        "created_children": [r["status"]["created_children"] for r in api_runs],
        "cpu_us_per_row": {name: statistics.median(r["cpu_us_per_row"][name] for r in api_runs)
                           for name in api_runs[0]["cpu_us_per_row"]},
        "goal": "import >= 40% of raw COPY throughput; peak RSS < 400 MB",
    }
