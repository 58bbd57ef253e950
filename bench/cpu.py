"""CPU per flag (`python -m bench.cpu --flags 300 --rate 10`): where the flag-to-offers path spends
its processor time, per process of the embedded stack (each service, PostgreSQL, NATS).

Prepares the bench directory and assessed children, waits until their events are consumed, then
flags them at a steady rate and divides each process's CPU time over the run by the flags. The
figures in docs/performance.md ("Where the CPU goes") come from here; `--py-spy registry,referral`
also records a py-spy profile of those services (flame graphs in the results folder).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from bench import import_bench
from bench.flag_bench import IN_FLIGHT, _children, _flag_run, percentile, prepared
from bench.stack import BenchStack, dated_folder, run_until_stopped
from bench.sustained import SERVICES, _sample
from sprpa_shared.testing import wait_until


def _cpu_seconds(stack: BenchStack) -> dict[str, float]:
    """CPU time (user + system) so far of each service, of PostgreSQL's and of NATS's processes."""
    services = {stack.service_process(name).pid: name for name in SERVICES}
    totals: dict[str, float] = {}
    for process in psutil.Process(stack.process.pid).children(recursive=True):
        try:
            name = process.name()
            key = services.get(process.pid) or ("postgres" if "postgres" in name
                                                else "nats" if "nats" in name else None)
            if key is not None:
                times = process.cpu_times()
                totals[key] = totals.get(key, 0.0) + times.user + times.system
        except psutil.Error:  # a backend that just ended
            continue
    return totals


async def main(args: argparse.Namespace) -> int:
    results = dated_folder(args.results, "cpu")
    stack = BenchStack.start(results)
    try:
        admin = await prepared(stack)
        limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
        async with httpx.AsyncClient(base_url="http://127.0.0.1:8101", timeout=120, limits=limits) as registry:
            children = await _children(registry, admin, args.flags, await import_bench.villages(stack))

            nc = await stack.connect_nats()

            async def settled() -> bool:  # the preparation's events consumed: they must not count
                sample = await _sample(stack, nc.jetstream(), time.monotonic(), 0)
                return sample["engine_lag"] == 0 and not any(sample["outbox_backlog"].values())

            await wait_until(settled, timeout=120, interval=0.5, what="the preparation's events consumed")
            await nc.drain()
            spies = [await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "py-spy"), "record", "-o", str(results / f"{name}.svg"), "-r", "200",
                "-p", str(stack.service_process(name).pid), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for name in args.py_spy]
            before = _cpu_seconds(stack)
            run = await _flag_run(stack, registry, admin, children, args.rate)
            after = _cpu_seconds(stack)
            for spy in spies:
                spy.send_signal(signal.SIGINT)  # py-spy writes its profile on Ctrl-C; SIGTERM loses it
                await spy.wait()
        latencies = run["latency_ms"]
        print(f"cpu: {args.flags} flags at {args.rate:g}/s; lost {run['lost_offers']}, "
              f"duplicated {run['duplicated_offers']}, flag errors {run['flag_errors']}")
        if latencies:
            print(f"  flag -> offers p50 {statistics.median(latencies):.1f} ms, "
                  f"p99 {percentile(latencies, 0.99):.1f} ms; "
                  f"HTTP flag alone p50 {statistics.median(run['http_flag_ms']):.1f} ms")
        total = 0.0
        for name in (*SERVICES, "postgres", "nats"):
            per_flag = (after.get(name, 0.0) - before.get(name, 0.0)) * 1000 / args.flags
            total += per_flag
            print(f"  {name:<10} {per_flag:6.1f} ms of CPU per flag")
        print(f"  {'all':<10} {total:6.1f} ms of CPU per flag" + (f"; profiles in {results}" if spies else ""))
        return 0 if run["lost_offers"] == 0 and run["duplicated_offers"] == 0 else 1
    finally:
        stack.stop()


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__.split("\n\n")[0])
    parser.add_argument("--flags", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0, help="flags per second (below saturation)")
    parser.add_argument("--py-spy", type=lambda v: [s for s in v.split(",") if s], default=[],
                        help="services to profile with py-spy, comma-separated")
    parser.add_argument("--results", default="bench-results")
    sys.exit(run_until_stopped(main(parser.parse_args())))


if __name__ == "__main__":
    cli()
