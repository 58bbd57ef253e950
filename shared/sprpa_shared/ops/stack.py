"""The embedded default: `make run` starts PostgreSQL, NATS and every service on this machine.

    python -m sprpa_shared.ops.stack run [--data DIR]

Data lives under one folder (default `.sprpa/`), so a second run keeps it. External PostgreSQL
or NATS are used instead when SPRPA_DATABASE_URL / SPRPA_NATS_URL are set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx

from sprpa_shared.events.access import Keys
from sprpa_shared.migrations import ensure_database, upgrade, with_database
from sprpa_shared.ops.embedded import EmbeddedNats, EmbeddedPostgres, PortTakenError, poll_until, port_is_free
from sprpa_shared.ops.mailsink import MailSink


@dataclass(frozen=True)
class ServiceDef:
    name: str
    port: int

    @property
    def env_prefix(self) -> str:
        return f"SPRPA_{self.name.upper()}_"


SERVICES = (
    ServiceDef("web", 8000),
    ServiceDef("registry", 8101),
    ServiceDef("providers", 8102),
    ServiceDef("referral", 8103),
    ServiceDef("reports", 8104),
    ServiceDef("notify", 8105),
)
ROOT = Path(__file__).resolve().parents[3]


def migrations_dir(service: str) -> Path:
    return ROOT / "services" / service / "migrations"


def _secret(data: Path) -> str:
    path = data / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def service_env(
    service: ServiceDef, *, database_url: str, nats_url: str, secret: str, data: Path, nats_keys: Keys,
    smtp_port: int | None = None,
) -> dict[str, str]:
    prefix = service.env_prefix
    mail = {f"{prefix}SMTP_HOST": "127.0.0.1", f"{prefix}SMTP_PORT": str(smtp_port)} if smtp_port else {}
    return {**mail,
        f"{prefix}NATS_SEED_FILE": str(nats_keys.seed_file(service.name)),
        f"{prefix}IMPORT_SPOOL_DIR": str(data / "uploads" / service.name),
        f"{prefix}DATABASE_URL": with_database(database_url, f"sprpa_{service.name}"),
        f"{prefix}NATS_URL": nats_url,
        f"{prefix}PORT": str(service.port),
        f"{prefix}OIDC_ISSUER": os.environ.get("SPRPA_OIDC_ISSUER", "http://127.0.0.1:8000"),
        f"{prefix}SECRET_KEY": secret,
        f"{prefix}ENVIRONMENT": "dev",
    }


def _wait_ready(timeout: float) -> list[str]:
    """Names of the services not answering /readyz 200 by the deadline (empty when all are ready)."""
    pending = {service.name: service.port for service in SERVICES}
    with httpx.Client(timeout=1) as client:

        def all_ready() -> bool:
            for name, port in list(pending.items()):
                try:
                    if client.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            return not pending

        poll_until(all_ready, timeout=timeout, interval=0.2)
    return sorted(pending)


def run(data: Path, *, pg_port: int, nats_port: int, ready_timeout: float, demo: bool = False,
        supervise: bool = False, smtp_port: int = 8025) -> int:
    started = time.monotonic()
    data.mkdir(parents=True, exist_ok=True)
    (data / "logs").mkdir(exist_ok=True)
    external_db = os.environ.get("SPRPA_DATABASE_URL")
    external_nats = os.environ.get("SPRPA_NATS_URL")

    taken = [f"{s.name} ({s.port})" for s in SERVICES if not port_is_free(s.port)]
    if not external_db and not port_is_free(pg_port):
        taken.append(f"PostgreSQL ({pg_port})")
    if not external_nats and not port_is_free(nats_port):
        taken.append(f"NATS ({nats_port})")
    if not port_is_free(smtp_port):
        taken.append(f"the mail sink ({smtp_port})")
    if taken:
        print(f"Cannot start: ports already in use: {', '.join(taken)}.", file=sys.stderr)
        print("Stop whatever uses them (an earlier `make run`?) and try again.", file=sys.stderr)
        return 2
    if external_nats and not os.environ.get("SPRPA_NATS_KEYS"):
        print("Cannot start: SPRPA_NATS_URL is set but SPRPA_NATS_KEYS is not. NATS takes no anonymous clients:\n"
              "make the services' seeds with `python -m sprpa_shared.events.access keys DIR`, give the server the\n"
              "authorization block of `... access conf` with those keys, and set SPRPA_NATS_KEYS=DIR.", file=sys.stderr)
        return 2

    postgres = None if external_db else EmbeddedPostgres(data / "postgres", pg_port)
    nats = None if external_nats else EmbeddedNats(data / "nats", nats_port)
    mail = MailSink(smtp_port, data / "mail")  # the notify service's mail, kept as .eml files
    processes: dict[str, subprocess.Popen] = {}
    stopping = False

    def request_stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        if postgres:
            postgres.start()
        if nats:
            nats.start()
        mail.start()
        database_url = external_db or cast(EmbeddedPostgres, postgres).url
        nats_url = external_nats or cast(EmbeddedNats, nats).url
        nats_keys = Keys(Path(os.environ["SPRPA_NATS_KEYS"])) if external_nats else cast(EmbeddedNats, nats).keys
        secret = _secret(data)
        for service in SERVICES:
            url = with_database(database_url, f"sprpa_{service.name}")
            asyncio.run(ensure_database(url))
            upgrade(migrations_dir(service.name), url)
        def launch(service: ServiceDef) -> subprocess.Popen:
            settings_env = service_env(service, database_url=database_url, nats_url=nats_url, secret=secret, data=data,
                                       nats_keys=nats_keys, smtp_port=smtp_port if service.name == "notify" else None)
            log = open(data / "logs" / f"{service.name}.log", "ab")
            return subprocess.Popen([sys.executable, "-m", service.name, "serve"], env={**os.environ, **settings_env},
                                    stdout=log, stderr=subprocess.STDOUT)

        for service in SERVICES:
            processes[service.name] = launch(service)
        not_ready = _wait_ready(ready_timeout)
        if not_ready:
            print(f"Not ready after {ready_timeout:.0f}s: {', '.join(not_ready)}; see {data / 'logs'}", file=sys.stderr)
            return 1
        if demo:
            providers = next(s for s in SERVICES if s.name == "providers")
            env = {**os.environ, **service_env(providers, database_url=database_url, nats_url=nats_url,
                                               secret=secret, data=data, nats_keys=nats_keys)}
            subprocess.run([sys.executable, "-m", "providers", "demo-data"], env=env, check=True)
        print(f"SPRPA is up in {time.monotonic() - started:.1f}s (data in {data}, logs in {data / 'logs'}):")
        for service in SERVICES:
            print(f"  {service.name:<10} http://127.0.0.1:{service.port}   (docs: /docs, health: /readyz)")
        print(f"  PostgreSQL {database_url}\n  NATS       {nats_url} (NKey seeds in {nats_keys.folder})\n"
              f"  Mail       every email the system sends is kept in {data / 'mail'} (SMTP sink on {smtp_port})\n"
              "Press Ctrl-C to stop.", flush=True)
        while not stopping:
            for service in SERVICES:
                process = processes[service.name]
                if process.poll() is None:
                    continue
                print(f"{service.name} exited with code {process.returncode}; see {data / 'logs' / service.name}.log",
                      file=sys.stderr, flush=True)
                if not supervise:
                    return 1
                processes[service.name] = launch(service)  # as an orchestrator would: start it again
                print(f"{service.name} restarted", file=sys.stderr, flush=True)
            time.sleep(0.5)
        return 0
    except PortTakenError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    finally:
        print("Stopping...", file=sys.stderr)
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(25)
            except subprocess.TimeoutExpired:
                process.kill()
        mail.stop()
        if nats:
            nats.stop()
        if postgres:
            postgres.stop()
        print("Stopped.", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sprpa_shared.ops.stack")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--data", type=Path, default=ROOT / ".sprpa")
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("SPRPA_PG_PORT", 5544)))
    parser.add_argument("--nats-port", type=int, default=int(os.environ.get("SPRPA_NATS_PORT", 4222)))
    parser.add_argument("--smtp-port", type=int, default=int(os.environ.get("SPRPA_SMTP_PORT", 8025)),
                        help="the local SMTP sink the notify service sends through")
    parser.add_argument("--ready-timeout", type=float, default=60.0)
    parser.add_argument("--demo", action="store_true", help="load the demo provider directory (marked as demo)")
    parser.add_argument("--supervise", action="store_true",
                        help="start a service again when it dies, as an orchestrator would (the chaos suite)")
    args = parser.parse_args()
    sys.exit(run(args.data.resolve(), pg_port=args.pg_port, nats_port=args.nats_port,
                 ready_timeout=args.ready_timeout, demo=args.demo, supervise=args.supervise,
                 smtp_port=args.smtp_port))


if __name__ == "__main__":
    main()
