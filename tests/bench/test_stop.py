"""The benches stop their stack when they are terminated, not only on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from bench.stack import STOPPED, drop_data

BENCH = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from bench.stack import run_until_stopped

    async def main():
        try:
            print("running", flush=True)
            await asyncio.Event().wait()
        finally:
            Path(sys.argv[1]).write_text("stack stopped")

    sys.exit(run_until_stopped(main()))
""")


def test_sigterm_runs_the_bench_finally_so_its_stack_is_stopped(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    bench = subprocess.Popen([sys.executable, "-c", BENCH, str(marker)], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).parents[2])
    assert bench.stdout.readline() == "running\n"
    bench.send_signal(signal.SIGTERM)
    assert bench.wait(timeout=30) == STOPPED
    assert marker.read_text() == "stack stopped"


def test_a_bench_that_ends_returns_its_own_exit_code() -> None:
    ended = subprocess.run([sys.executable, "-c", "import asyncio, sys\nfrom bench.stack import run_until_stopped\n"
                            "async def main():\n    return 3\nsys.exit(run_until_stopped(main()))"],
                           cwd=Path(__file__).parents[2], timeout=30)
    assert ended.returncode == 3


def test_a_stopped_stack_leaves_its_logs_and_keys_but_not_its_databases(tmp_path: Path) -> None:
    for path in ("postgres/base/1/1259", "nats/jetstream/REGISTRY/msgs/1.blk", "uploads/registry/x.upload",
                 "logs/registry.log", "nats/keys/admin.nk", "secret_key"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    drop_data(tmp_path)
    left = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert left == ["logs/registry.log", "nats/keys/admin.nk", "secret_key"]
