"""GET child while an import runs (issue 27): the p99 of `GET /api/v1/children/{id}` by 50 clients
while a survey of N rows is imported through `POST /api/v1/imports`, against the same reads idle,
measured in the same run. Budget: the p99 during the import at most twice the idle one (the
median of the runs' ratios)."""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path

import httpx

from bench import import_bench
from bench.flag_bench import _children, percentile
from bench.read_bench import CLIENTS, ChildReads, _closed_loop
from bench.stack import BenchStack

SLICE_SECONDS = 5.0  # reads go on in slices until the import is done


async def run(stack: BenchStack, results: Path, *, rows: int = 200_000, runs: int = 1) -> dict:
    """`runs` times, each importing a survey of its own: the figures of the run whose ratio is the
    median, and every run's ratio."""
    measured = [await _run_once(stack, results, rows=rows, seed=27 + run) for run in range(runs)]
    ratios = [run["ratio_p99"] for run in measured]
    median = sorted(measured, key=lambda run: run["ratio_p99"])[(len(measured) - 1) // 2]
    return {**median, "ratios_p99": ratios}


async def _run_once(stack: BenchStack, results: Path, *, rows: int, seed: int, idle_seconds: float = 15.0) -> dict:
    admin = {"Authorization": f"Bearer {stack.token('--role', 'national_admin')}"}
    operator = f"Bearer {stack.token('--role', 'district_operator', '--regency', '35.09')}"
    codes = await import_bench.villages(stack)
    async with httpx.AsyncClient(base_url="http://127.0.0.1:8101", timeout=60) as registry:
        ids = await _children(registry, admin, 1_000, codes)
    read = ChildReads(operator)

    path = results / f"survey-{rows}-during-reads.csv"
    import_bench.generate(path, rows, codes, seed=seed)
    try:
        idle, idle_errors = await _closed_loop(read, ids, idle_seconds)
        importing = asyncio.create_task(import_bench.through_api(stack, path, stack.token("--role", "national_admin")))
        during: list[float] = []
        during_errors = 0
        while not importing.done():
            latencies, errors = await _closed_loop(read, ids, SLICE_SECONDS)
            during += latencies
            during_errors += errors
        imported = await importing
    finally:
        path.unlink(missing_ok=True)
        await read.close()
    idle_p99, during_p99 = percentile(idle, 0.99), percentile(during, 0.99)
    return {
        "rows": rows, "clients": CLIENTS,
        "idle_p50_ms": round(statistics.median(idle), 2), "idle_p99_ms": round(idle_p99, 2),
        "during_p50_ms": round(statistics.median(during), 2), "during_p99_ms": round(during_p99, 2),
        "ratio_p99": round(during_p99 / idle_p99, 2) if idle_p99 else None,
        "reads_during": len(during), "errors": idle_errors + during_errors,
        "import_seconds": round(imported["seconds"], 1),
        "import_rows_per_second": round(rows / imported["seconds"]),
        "import_status": imported["status"]["status"],
        "goal": "p99 during the import <= 2x idle",
    }
