"""`make bench`: start the embedded stack, run each scenario, print figures and ratios to raw
PostgreSQL/NATS measured in the same run, and write JSON and markdown to bench-results/."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from bench import import_bench
from bench.stack import BenchStack
from sprpa_shared.stack import SERVICES

ROOT = Path(__file__).resolve().parent.parent


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "kernel": platform.release()}


def idle_rss(stack: BenchStack) -> dict:
    return {service.name: round(stack.service_process(service.name).memory_info().rss / 2**20, 1)
            for service in SERVICES}


def markdown(report: dict) -> str:
    imp = report["import"]
    lines = [
        f"# Benchmark {report['started']}",
        "",
        f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
        f"{report['machine']['memory_gb']} GB, Python {report['machine']['python']}",
        "",
        "| scenario | figure | raw baseline (same run) | ratio | goal |",
        "|---|---|---|---|---|",
        f"| import {imp['rows']:,} rows (POST /api/v1/imports, valid_rows_only) | "
        f"{imp['api_rows_per_second']:,} rows/s ({imp['api_seconds_median']} s) | "
        f"raw COPY {imp['raw_copy_rows_per_second']:,} rows/s ({imp['raw_copy_seconds_median']} s) | "
        f"{imp['ratio_to_raw_copy']:.1%} | ≥ 40% |",
        f"| import peak RSS (registry) | {imp['registry_peak_rss_mb']} MB "
        f"(idle {imp['registry_rss_before_mb']} MB) | | | < 400 MB |",
        "",
        "Idle RSS per service (MB): " + ", ".join(f"{k} {v}" for k, v in report["idle_rss_mb"].items()),
    ]
    return "\n".join(lines) + "\n"


async def main(args: argparse.Namespace) -> None:
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results = ROOT / "bench-results" / started
    results.mkdir(parents=True)
    t0 = time.monotonic()
    stack = BenchStack.start(results / "stack")
    try:
        report = {"started": started, "machine": machine(), "stack_start_seconds": round(time.monotonic() - t0, 1),
                  "idle_rss_mb": idle_rss(stack)}
        report["import"] = await import_bench.run(stack, results, rows=args.rows, runs=args.runs)
    finally:
        stack.stop()
    (results / "results.json").write_text(json.dumps(report, indent=2))
    (results / "results.md").write_text(markdown(report))
    print(markdown(report))
    print(f"results in {results}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--rows", type=int, default=1_000_000, help="survey rows in the import scenario")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario; figures are medians")
    asyncio.run(main(parser.parse_args()))
