"""The benches read each process's CPU time from its own counters, and a process that has ended
since still counts: PostgreSQL's backends of an import's connections end with the import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from bench.cpu_counters import cpu_of_tree

BURN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
# A service (it prints its pid) that runs a child to its end, as the import worker's connections end.
SERVICE = textwrap.dedent(f"""
    import os, subprocess, sys
    print(os.getpid(), flush=True)
    subprocess.run([sys.executable, "-c", {BURN!r}], check=True)
    print("ended", flush=True)
    sys.stdin.read()
""")
ROOT = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {SERVICE!r}])\n"


def test_a_child_that_has_ended_still_counts_in_the_cpu_of_its_service() -> None:
    root = subprocess.Popen([sys.executable, "-c", ROOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert root.stdout is not None
        service = int(root.stdout.readline())
        assert root.stdout.readline().strip() == "ended"
        totals = cpu_of_tree(root.pid, {service: "registry"})
        assert totals["registry_worker"] >= 0.25  # the child burnt 0.3 s and is gone
        assert totals["registry"] < 0.25  # its own start only: the child's time is not the service's
    finally:
        root.communicate("", timeout=30)
