"""The command line every service shares: `python -m <service> serve|migrate|asyncapi`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from sprpa_shared.migrations import ensure_database, upgrade
from sprpa_shared.ops.server import serve
from sprpa_shared.settings import ServiceSettings


def service_main(
    *,
    settings_class: type[ServiceSettings],
    app_factory: Callable[[], FastAPI],
    migrations_dir: Path,
    argv: list[str] | None = None,
    extra_commands: dict[str, tuple[str, Callable[[list[str]], int]]] | None = None,
) -> None:
    """`python -m <service> serve|migrate|openapi`, and the service's own commands (`extra_commands`:
    name -> (help, main taking the arguments from the name on)), all listed by --help."""
    argv = sys.argv[1:] if argv is None else argv
    extra = extra_commands or {}
    if argv and argv[0] in extra:
        sys.exit(extra[argv[0]][1](argv))
    parser = argparse.ArgumentParser(prog=f"python -m {settings_class.service}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP service, its relay and its consumers")
    commands.add_parser("migrate", help="create the database if needed and apply migrations")
    commands.add_parser("openapi", help="print the OpenAPI document")
    for name, (description, _) in extra.items():
        commands.add_parser(name, help=f"{description} (python -m {settings_class.service} {name} --help)",
                            add_help=False)
    args = parser.parse_args(argv)
    settings = settings_class()

    if args.command == "migrate":
        asyncio.run(ensure_database(settings.asyncpg_url))
        upgrade(migrations_dir, settings.asyncpg_url)
    elif args.command == "openapi":
        print(json.dumps(app_factory().openapi(), indent=2))
    else:
        app = app_factory()
        # What start-up made (modules, the app, its routes and schemas) lives as long as the
        # process: frozen, the collector no longer walks it on every full collection, pauses that
        # showed as the tail of the reads' latency (docs/performance.md).
        gc.collect()
        gc.freeze()
        serve(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=20,
        )
