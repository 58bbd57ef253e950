"""What the benchmarks read of the processes and the streams: each process's CPU time from its own
counters, its memory with its children's, and when the events a run set going have all been consumed."""

from __future__ import annotations

import asyncio
import contextlib
import time

import asyncpg
import psutil

from bench.stack import BenchStack, served_by
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


class PeakRss:
    """Samples the services' RSS (with their children's) every `every` seconds while a block runs;
    keeps each one's peak in MB. `make bench` samples every service through all its scenarios, the
    import bench the registry with its import worker.

    The samples are read on a thread, from processes found once. Finding a process, or its
    children, scans every process on the machine: found again for every sample on the event loop,
    twelve scans blocked the bench for about 45 ms twice a second. The bench measures latencies on
    that loop, so the wait went into them: flag -> offers p99 60 ms with the old sampler and 23-27
    ms without it (issue 27)."""

    FIND_AGAIN_SECONDS = 10.0  # a restarted service, or a new child of one, is found within this

    def __init__(self, stack: BenchStack, *, every: float = 0.5, services: tuple[str, ...] = SERVICES) -> None:
        self.stack = stack
        self.every = every
        self.services = services
        self.peaks: dict[str, float] = {}
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._processes: dict[str, list[psutil.Process]] = {}
        self._found_at = -self.FIND_AGAIN_SECONDS

    def _find(self) -> None:
        """Each service's process and its descendants (the registry's import worker), from one scan."""
        descendants = psutil.Process(self.stack.process.pid).children(recursive=True)
        parents, services = {}, {}
        for process in descendants:
            with contextlib.suppress(psutil.Error):  # a backend that just ended
                parents[process.pid] = process.ppid()
                if (service := served_by(process)) in self.services:
                    services[process.pid] = service
        self._processes = {name: [] for name in services.values()}
        for process in descendants:
            owner = process.pid
            while owner in parents and owner not in services:
                owner = parents[owner]
            if owner in services:
                self._processes[services[owner]].append(process)
        self._found_at = time.monotonic()

    def _read(self) -> None:
        if time.monotonic() - self._found_at >= self.FIND_AGAIN_SECONDS:
            try:
                self._find()
            except psutil.Error:  # the stack itself has gone: the peaks so far stand
                self._processes = {}
        for name, processes in self._processes.items():
            try:
                rss = sum(process.memory_info().rss for process in processes) / 2**20
            except psutil.Error:  # a process ended: find them all again at the next sample
                self._found_at = -self.FIND_AGAIN_SECONDS
                continue
            self.peaks[name] = round(max(self.peaks.get(name, 0.0), rss), 1)

    async def _sample(self) -> None:
        while not self._stopping.is_set():
            await asyncio.to_thread(self._read)
            with contextlib.suppress(TimeoutError):  # the next sample in `every` seconds, or stop at once
                await asyncio.wait_for(self._stopping.wait(), timeout=self.every)

    async def __aenter__(self) -> PeakRss:
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc) -> None:
        self._stopping.set()
        await self._task


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
