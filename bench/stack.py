"""The embedded stack for benchmarks: started from scratch in a results folder, with a token."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nats
import psutil

from sprpa_shared.events.access import ADMIN, Keys, connect_options
from sprpa_shared.ops.embedded import free_port

STOPPED = 128 + signal.SIGTERM


def run_until_stopped(main: Coroutine) -> int:
    """`asyncio.run(main)`, except that SIGTERM (`kill`, a CI timeout) cancels the bench as Ctrl-C
    does: its `finally` then stops the stack instead of leaving the services, PostgreSQL and NATS
    running on their ports. Returns main's exit code, or 143 when it was stopped."""
    async def cancellable() -> int:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
        return await main or 0

    try:
        return asyncio.run(cancellable())
    except asyncio.CancelledError:
        print("stopped (SIGTERM); the stack was stopped", file=sys.stderr)
        return STOPPED


def dated_folder(results: str | Path, name: str) -> Path:
    """`<results>/<name>-<local time>`, its parent created: where one run's stack keeps its data."""
    folder = Path(results) / f"{name}-{datetime.now():%Y%m%d-%H%M%S}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


BULKY = ("postgres", "nats/jetstream", "uploads")  # a stack's data, against its logs and keys


def drop_data(folder: Path) -> None:
    """The stopped stack's databases, streams and uploads under `folder` removed."""
    for bulky in BULKY:
        shutil.rmtree(folder / bulky, ignore_errors=True)


def served_by(process: psutil.Process) -> str | None:
    """The service a process of the stack serves (its command line ends `<service> serve`), or None."""
    command = process.cmdline()
    return command[-2] if len(command) >= 2 and command[-1] == "serve" else None


@dataclass
class BenchStack:
    data: Path
    process: subprocess.Popen
    pg_port: int
    nats_port: int
    said: list[str] = field(default_factory=list)  # what the stack printed after it was up

    @classmethod
    def start(cls, data: Path, timeout: float = 180, *, supervise: bool = False, env: dict | None = None) -> BenchStack:
        pg_port, nats_port = free_port(), free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "sprpa_shared.ops.stack", "run", "--data", str(data), "--pg-port", str(pg_port),
             "--nats-port", str(nats_port), *(["--supervise"] if supervise else [])],
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + timeout
        lines = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                stack = cls(data, process, pg_port, nats_port)
                threading.Thread(target=stack._drain, daemon=True).start()  # a full pipe would block the stack
                return stack
        process.kill()
        raise RuntimeError("stack did not start:\n" + "".join(lines))

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.said.append(line.rstrip())

    async def connect_nats(self):
        """A NATS client of the stack as its admin (the seed `make run` made under the data folder)."""
        seed = Keys(self.data / "nats" / "keys").seed_file(ADMIN)
        return await nats.connect(f"nats://127.0.0.1:{self.nats_port}", **connect_options(ADMIN, seed_file=str(seed)))

    @property
    def database_admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres"

    def database_url(self, service: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/sprpa_{service}"

    def token(self, *args: str) -> str:
        env = {**os.environ, "SPRPA_WEB_DATABASE_URL": self.database_url("web"),
               "SPRPA_WEB_SECRET_KEY": (self.data / "secret_key").read_text().strip()}
        out = subprocess.run([sys.executable, "-m", "web", "tokens", "mint", "--minutes", "120",
                              "--subject", "bench", *args],
                             env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout)["access_token"]

    def service_process(self, name: str) -> psutil.Process:
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if served_by(child) == name:
                    return child
            except psutil.Error:  # a process that just died (a zombie until reaped)
                continue
        raise RuntimeError(f"no {name} process")

    def stop(self) -> None:
        """Stop the stack, then drop its databases and streams unless `SPRPA_BENCH_KEEP_DATA=1`:
        a million-row run leaves 3 GB, and a day of benches filled a 250 GB disk. The logs, keys
        and everything the bench wrote beside the stack stay."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if os.environ.get("SPRPA_BENCH_KEEP_DATA") != "1":
            drop_data(self.data)
