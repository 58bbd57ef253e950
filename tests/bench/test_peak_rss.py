"""`make bench` samples each service's memory while it measures latencies on its event loop: the
samples must not hold that loop. Finding a process, or its children, scans every process on the
machine; the sampler did twelve such scans on the loop twice a second, and the flag latencies it
measured beside them had a p99 of 60 ms instead of 23-27 (issue 27)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import psutil
import pytest

from bench.cpu_counters import PeakRss
from bench.stack import BenchStack
from sprpa_shared.testing import wait_until

WAIT = "import sys\nprint('up', flush=True)\nsys.stdin.read()\n"
# A service (its command line ends "<name> serve", as the stack starts them) with a child, as the
# registry runs its import worker, and one without.
WITH_CHILD = textwrap.dedent(f"""
    import subprocess, sys
    child = subprocess.Popen([sys.executable, "-c", {WAIT!r}], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    child.stdout.readline()
    print("up", flush=True)
    sys.stdin.read()
    child.communicate("")
""")
ROOT = textwrap.dedent(f"""
    import subprocess, sys
    services = [subprocess.Popen([sys.executable, "-c", code, name, "serve"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
                for code, name in (({WITH_CHILD!r}, "registry"), ({WAIT!r}, "notify"))]
    for service in services:
        service.stdout.readline()
    print("up", flush=True)
    sys.stdin.read()
    for service in services:
        service.communicate("")
""")


@pytest.fixture
def stack(tmp_path: Path):
    root = subprocess.Popen([sys.executable, "-c", ROOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert root.stdout is not None and root.stdout.readline().strip() == "up"
        yield BenchStack(tmp_path, root, pg_port=0, nats_port=0)
    finally:
        root.communicate("", timeout=30)


async def test_the_memory_sampler_reads_off_the_event_loop_from_processes_found_once(stack, monkeypatch) -> None:
    scans: list[int] = []
    readers: list[threading.Thread] = []
    children, memory_info = psutil.Process.children, psutil.Process.memory_info

    def counted_children(process, *args, **kwargs):
        scans.append(process.pid)
        return children(process, *args, **kwargs)

    def seen_memory_info(process):
        readers.append(threading.current_thread())
        return memory_info(process)

    monkeypatch.setattr(psutil.Process, "children", counted_children)
    monkeypatch.setattr(psutil.Process, "memory_info", seen_memory_info)
    sampler = PeakRss(stack)
    async with sampler:
        await wait_until(lambda: len(readers) >= 3 * 3, timeout=30, what="three samples of the three processes")

    assert scans == [stack.process.pid]  # one scan of the stack's processes, not one per service and sample
    assert threading.main_thread() not in readers  # read on a thread: the bench's loop goes on measuring
    assert set(sampler.peaks) == {"registry", "notify"}
    # The registry's figure is its process's and its child's, as the import worker's is counted with it.
    assert sampler.peaks["registry"] > 1.5 * sampler.peaks["notify"]
