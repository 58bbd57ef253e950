"""CPU per flag (`python -m bench.cpu --flags 300 --rate 10`): where the flag-to-offers path spends
its processor time, per process of the embedded stack (each service, PostgreSQL, NATS). With
`--reads 5000` (and `--flags 0` to skip the flags), the CPU per `GET /api/v1/children/{id}` as a
district operator, read by 50 keep-alive clients at once, from the processes' own CPU times.

Prepares the bench directory and assessed children, waits until their events are consumed, then
flags them at a steady rate and divides each process's CPU time over the run by the flags. Then,
as the flag's raw baseline in the same run, 100 bare events at the same rate (`bench.raw_event`:
published, pulled and acknowledged as the services do, nothing else), and the flag's ratio to one. The
figures in docs/performance.md ("Where the CPU goes") come from here; `--py-spy registry,referral`
also records a py-spy profile of those services (flame graphs in the results folder), and
`--statements` each database's statements per flag (pg_stat_statements, in statements.txt, with
their planning).

py-spy samples only while the service holds the GIL (`--gil`): the event loop (uvloop) waits for
work without it, and without `--gil` py-spy counted much of that wait as busy, under
`Runner.run` (up to half of an idle service's samples).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx

from bench import import_bench, raw_event, read_bench
from bench.client import KeepAlive
from bench.cpu_counters import cpu_seconds as _cpu_seconds
from bench.flag_bench import IN_FLIGHT, _children, _flag_run, percentile, prepared
from bench.stack import BenchStack, dated_folder, run_until_stopped
from bench.sustained import SERVICES, _sample
from sprpa_shared.ops.embedded import STATEMENTS_ENV
from sprpa_shared.testing import wait_until


async def read_cpu(stack: BenchStack, admin: dict, registry: httpx.AsyncClient, reads: int, spies: list = (),
                   form: str = "flamegraph") -> dict:
    """`reads` GETs of children by 50 clients at once (closed loop); CPU per read of each process."""
    ids = await _children(registry, admin, 1_000, await import_bench.villages(stack))
    operator = f"Bearer {stack.token('--role', 'district_operator', '--regency', '35.09')}"
    clients = [KeepAlive("127.0.0.1", 8101, operator) for _ in range(read_bench.CLIENTS)]
    left = reads
    statuses: dict[int, int] = {}

    async def client(connection: KeepAlive, seed: int) -> None:
        nonlocal left
        rng = random.Random(seed)
        while left > 0:
            left -= 1
            status = await connection.get(f"/api/v1/children/{rng.choice(ids)}")
            statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(clients[n].get(f"/api/v1/children/{ids[n]}") for n in range(len(clients))))  # warm
    profiles = await _spies(stack, list(spies), form)
    before, started = _cpu_seconds(stack), time.perf_counter()
    await asyncio.gather(*(client(connection, seed) for seed, connection in enumerate(clients)))
    took, after = time.perf_counter() - started, _cpu_seconds(stack)
    await _stop(profiles)
    for connection in clients:
        await connection.close()
    return {"reads": reads, "seconds": round(took, 2), "reads_per_second": round(reads / took), "statuses": statuses,
            **{f"{name}_ms": round((after.get(name, 0.0) - before.get(name, 0.0)) * 1000 / reads, 3)
               for name in ("registry", "postgres")}}


def print_read_cpu(figures: dict) -> None:
    print(f"cpu: {figures['reads']} GET child reads by {read_bench.CLIENTS} clients in {figures['seconds']:.1f} s "
          f"({figures['reads_per_second']}/s); statuses {figures['statuses']}")
    for name in ("registry", "postgres"):
        print(f"  {name:<10} {figures[f'{name}_ms']:6.2f} ms of CPU per read")


async def flag_cpu(stack: BenchStack, admin: dict, flags: int, rate: float, spies: list = (),
                   form: str = "flamegraph", statements: bool = False, raw_events: int = 100) -> dict:
    """`flags` flags at `rate` per second, each to its offers; CPU per flag of each process, and the
    time from flag to offers (p50, p99). The preparation's events are consumed before it counts.
    Then the raw baseline: `raw_events` bare events at the same rate (`bench.raw_event`; 0: none)."""
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    async with httpx.AsyncClient(base_url="http://127.0.0.1:8101", timeout=120, limits=limits) as registry:
        children = await _children(registry, admin, flags, await import_bench.villages(stack))
        await _settled(stack)
        profiles = await _spies(stack, list(spies), form)
        if statements:
            await _statements_reset(stack)
        before = _cpu_seconds(stack)
        run = await _flag_run(stack, admin, children, rate)
        after = _cpu_seconds(stack)
        if statements:
            await _statements_written(stack, flags)
        await _stop(profiles)
    raw = await raw_event.measure(stack, count=raw_events, rate=rate) if raw_events else None
    latencies = run["latency_ms"]
    per_process = {name: round((after.get(name, 0.0) - before.get(name, 0.0)) * 1000 / flags, 2)
                   for name in (*SERVICES, "postgres", "nats")}
    return {"flags": flags, "rate": rate, "lost_offers": run["lost_offers"],
            "duplicated_offers": run["duplicated_offers"], "flag_errors": run["flag_errors"],
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
            "http_flag_p50_ms": round(statistics.median(run["http_flag_ms"]), 1) if run["http_flag_ms"] else None,
            "cpu_ms": per_process, "cpu_ms_total": round(sum(per_process.values()), 1), "raw_event": raw}


async def _settled(stack: BenchStack) -> None:
    """Waits until the preparation's events are consumed: they must not count."""
    nc = await stack.connect_nats()

    async def settled() -> bool:
        sample = await _sample(stack, nc.jetstream(), time.monotonic(), 0)
        return sample["engine_lag"] == 0 and not any(sample["outbox_backlog"].values())

    await wait_until(settled, timeout=120, interval=0.5, what="the preparation's events consumed")
    await nc.drain()


async def idle_cpu(stack: BenchStack, seconds: float) -> dict:
    """CPU per second of each process while nothing happens (the consumers' waits, the jobs'
    sweeps): part of every figure per flag at 10 flags/s, a tenth of it per flag."""
    await _settled(stack)
    before = _cpu_seconds(stack)
    await asyncio.sleep(seconds)  # the measurement's own window, not a wait for a condition
    after = _cpu_seconds(stack)
    return {name: round((after.get(name, 0.0) - before.get(name, 0.0)) * 1000 / seconds, 2)
            for name in (*SERVICES, "postgres", "nats")}


def print_idle_cpu(figures: dict, seconds: float) -> None:
    print(f"cpu: idle for {seconds:g} s")
    for name, per_second in figures.items():
        print(f"  {name:<10} {per_second:6.1f} ms of CPU per second")
    print(f"  {'all':<10} {sum(figures.values()):6.1f} ms of CPU per second")


def print_flag_cpu(figures: dict) -> None:
    print(f"cpu: {figures['flags']} flags at {figures['rate']:g}/s; lost {figures['lost_offers']}, "
          f"duplicated {figures['duplicated_offers']}, flag errors {figures['flag_errors']}")
    if figures["p50_ms"] is not None:
        print(f"  flag -> offers p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms; "
              f"HTTP flag alone p50 {figures['http_flag_p50_ms']:.1f} ms")
    for name, per_flag in figures["cpu_ms"].items():
        print(f"  {name:<10} {per_flag:6.1f} ms of CPU per flag")
    print(f"  {'all':<10} {figures['cpu_ms_total']:6.1f} ms of CPU per flag")
    if raw := figures.get("raw_event"):
        print(f"  raw: {raw_event.described(raw)}; the flag {figures['cpu_ms_total'] / raw['cpu_ms_total']:.1f}x that")


DATABASES = ("registry", "referral", "reports", "notify", "providers", "web")


async def _statements_reset(stack: BenchStack) -> None:
    for name in DATABASES:
        connection = await asyncpg.connect(stack.database_url(name))
        try:
            await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            await connection.execute("SELECT pg_stat_statements_reset()")
        finally:
            await connection.close()


async def _statements_written(stack: BenchStack, flags: int) -> None:
    """statements.txt: each database's statements over the flags, calls and milliseconds per flag,
    the most called first (the triggers' statements listed beside the statement that fired them)."""
    connection = await asyncpg.connect(stack.database_url("registry"))
    try:
        rows = await connection.fetch(
            "SELECT d.datname, s.calls, s.total_exec_time, s.plans, s.total_plan_time, s.toplevel, "
            "regexp_replace(s.query, '\\s+', ' ', 'g') AS query "
            "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid ORDER BY d.datname, s.calls DESC")
    finally:
        await connection.close()
    with open(stack.data / "statements.txt", "w") as out:
        out.write("database        calls/flag  ms/flag  plans/flag  plan ms/flag  top-level  statement\n")
        for row in rows:
            out.write(f"{row['datname']:<15} {row['calls'] / flags:10.2f} {row['total_exec_time'] / flags:8.3f}  "
                      f"{row['plans'] / flags:10.2f}  {row['total_plan_time'] / flags:12.3f}  "
                      f"{'yes' if row['toplevel'] else 'no':<9}  {row['query'][:200]}\n")
    top = [row for row in rows if row["toplevel"] and row["query"] not in ("BEGIN", "COMMIT")]
    print(f"  statements per flag (BEGIN and COMMIT aside): {sum(row['calls'] for row in top) / flags:.1f} "
          f"(in {stack.data / 'statements.txt'})")
    print(f"  planning: {sum(row['plans'] for row in top) / flags:.1f} plans and "
          f"{sum(row['total_plan_time'] for row in top) / flags:.3f} ms a flag")


async def _spies(stack: BenchStack, names: list[str], form: str = "flamegraph") -> list:
    """py-spy on each named service: a flame graph (.svg), or folded stacks (.txt, `raw`) to add up."""
    suffix = "svg" if form == "flamegraph" else "txt"
    return [await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"), "record", "-o", str(stack.data / f"{name}.{suffix}"), "-r", "200",
        "-f", form, "--gil", "-p", str(stack.service_process(name).pid),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name in names]


async def _stop(spies: list) -> None:
    for spy in spies:
        spy.send_signal(signal.SIGINT)  # py-spy writes its profile on Ctrl-C; SIGTERM loses it
        await spy.wait()


async def main(args: argparse.Namespace) -> int:
    results = dated_folder(args.results, "cpu")
    stack = BenchStack.start(results, env={STATEMENTS_ENV: "1"} if args.statements else None)
    try:
        admin = await prepared(stack)
        if args.idle:
            print_idle_cpu(await idle_cpu(stack, args.idle), args.idle)
        if args.reads:
            async with httpx.AsyncClient(base_url="http://127.0.0.1:8101", timeout=120) as registry:
                print_read_cpu(await read_cpu(stack, admin, registry, args.reads, args.py_spy, args.py_spy_format))
            if not args.flags:
                return 0
        figures = await flag_cpu(stack, admin, args.flags, args.rate, [] if args.reads else args.py_spy,
                                 args.py_spy_format, args.statements)
        print_flag_cpu(figures)
        if args.py_spy:
            print(f"  profiles in {results}")
        return 0 if figures["lost_offers"] == 0 and figures["duplicated_offers"] == 0 else 1
    finally:
        stack.stop()


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__.split("\n\n")[0])
    parser.add_argument("--flags", type=int, default=300)
    parser.add_argument("--reads", type=int, default=0, help="GET child reads to measure (0: none)")
    parser.add_argument("--idle", type=float, default=0, help="first measure the idle stack for this many seconds")
    parser.add_argument("--rate", type=float, default=10.0, help="flags per second (below saturation)")
    parser.add_argument("--py-spy", type=lambda v: [s for s in v.split(",") if s], default=[],
                        help="services to profile with py-spy, comma-separated")
    parser.add_argument("--py-spy-format", default="flamegraph", choices=["flamegraph", "raw", "speedscope"],
                        help="raw: folded stacks as text, to add up by function")
    parser.add_argument("--statements", action="store_true",
                        help="load pg_stat_statements and write each database's statements per flag")
    parser.add_argument("--results", default="bench-results")
    sys.exit(run_until_stopped(main(parser.parse_args())))


if __name__ == "__main__":
    cli()
