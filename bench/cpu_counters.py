"""What the benchmarks read of the processes and the streams: each process's CPU time from its own
counters, its memory with its children's, and when the events a run set going have all been consumed."""

from __future__ import annotations

import contextlib

import asyncpg
import psutil

from bench.stack import BenchStack
from sprpa_shared.ops.stack import SERVICES as STACK_SERVICES
from sprpa_shared.testing import wait_until

SERVICES = tuple(service.name for service in STACK_SERVICES)
REGISTRY_CONSUMERS = ("referral-cases", "reports-registry", "notify-registry")


def cpu_seconds(stack: BenchStack) -> dict[str, float]:
    """CPU time (user + system) so far of each service, of a service's child (`registry_worker`: the
    registry's import worker), of PostgreSQL's and of NATS's processes."""
    return cpu_of_tree(stack.process.pid, {stack.service_process(name).pid: name for name in SERVICES})


def cpu_of_tree(root: int, services: dict[int, str]) -> dict[str, float]:
    """The CPU time of the processes under `root`, by what they are: a service (`services`, by pid),
    a service's child (`<service>_worker`), PostgreSQL or NATS.

    A process that has ended counts too, in its parent's counters of the children it has reaped:
    PostgreSQL's backends end with their connections (an import's two end with it, and were missed:
    issue 27), the postmaster reaps them, and their time is PostgreSQL's."""
    totals: dict[str, float] = {}
    for process in psutil.Process(root).children(recursive=True):
        try:
            name = process.name()
            service = services.get(process.pid)
            parent = services.get(process.ppid())
            key = service or (parent and f"{parent}_worker") or (
                "postgres" if "postgres" in name else "nats" if "nats" in name else None)
            if key is None:
                continue
            times = process.cpu_times()
            ended = f"{service}_worker" if service else key
            totals[key] = totals.get(key, 0.0) + times.user + times.system
            if times.children_user or times.children_system:
                totals[ended] = totals.get(ended, 0.0) + times.children_user + times.children_system
        except psutil.Error:  # a backend that just ended
            continue
    return totals


def rss_of(process) -> int:
    """A service's resident memory with its children's: the registry's import worker is a process of its own."""
    children = 0
    for child in process.children(recursive=True):
        with contextlib.suppress(Exception):
            children += child.memory_info().rss
    return process.memory_info().rss + children


def per_row(before: dict[str, float], after: dict[str, float], rows: int) -> dict[str, float]:
    """µs of CPU per row of each process between two readings, and of all of them."""
    figures = {name: round((after.get(name, 0.0) - before.get(name, 0.0)) * 1e6 / rows, 1) for name in after}
    return {**figures, "all": round(sum(figures.values()), 1)}


async def registry_events_consumed(stack: BenchStack, timeout: float = 600) -> None:
    """Until the registry's outbox is published and every consumer of its stream has taken all."""
    nc = await stack.connect_nats()
    js = nc.jetstream()
    try:
        async def quiet() -> bool:
            connection = await asyncpg.connect(stack.database_url("registry"))
            try:
                if await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                    return False
            finally:
                await connection.close()
            for durable in REGISTRY_CONSUMERS:
                info = await js.consumer_info("REGISTRY", durable)
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        await wait_until(quiet, timeout=timeout, interval=0.5, what="the registry's events consumed")
    finally:
        await nc.drain()
