"""Alembic per service: each service has its own `migrations/` folder and its own database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import async_engine_from_config

from sprpa_shared.events.outbox import INBOX_DDL, OUTBOX_DDL

MIGRATION_LOCK = 0x5350_5250_4D49_47  # "SPRPMIG": one advisory lock key for every service's migrations
FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s"


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("sqlalchemy.url", database_url.replace("postgresql://", "postgresql+asyncpg://", 1))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


async def upgrade_async(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Alembic drives its own event loop; from async code run it on a worker thread."""
    await asyncio.to_thread(upgrade, migrations_dir, database_url, revision)


def run_env(context, target_metadata=None) -> None:
    """The body of every service's migrations/env.py."""
    if context.is_offline_mode():
        context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                          literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection) -> None:
        # Replicas started together (Kubernetes init containers, compose) each run `migrate`: the
        # first takes this lock and upgrades, the others wait for it and then find nothing to do.
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
        connection.commit()
        try:
            context.configure(connection=connection, target_metadata=target_metadata,
                              transaction_per_migration=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
            connection.commit()

    async def run_online() -> None:
        engine = async_engine_from_config(
            context.config.get_section(context.config.config_ini_section, {}) or
            {"sqlalchemy.url": context.config.get_main_option("sqlalchemy.url")},
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(run_online())


def create_event_tables(op) -> None:
    """The outbox and inbox every service has; called from a service's first migration."""
    execute_all(op, OUTBOX_DDL + INBOX_DDL)


def outbox_as_written(op) -> None:
    """The outbox keeps each envelope as written (`json`), no longer parsed into `jsonb` (issue 27):
    nothing looks inside it in SQL, the relay publishes its text, and parsing an import's events
    (446 KB for 1,000 children) cost PostgreSQL twice the insert. A claimed event is then published
    byte for byte as a handed-over one. Rewrites the table: a service's migration after its first."""
    op.execute("ALTER TABLE outbox ALTER COLUMN envelope TYPE json USING envelope::json")


def outbox_parsed(op) -> None:
    """`outbox_as_written` undone."""
    op.execute("ALTER TABLE outbox ALTER COLUMN envelope TYPE jsonb USING envelope::jsonb")


def drop_event_tables(op) -> None:
    execute_all(op, ["DROP TABLE inbox", "DROP TABLE outbox"])


def execute_all(op, statements) -> None:
    """asyncpg runs one statement per call."""
    for statement in statements:
        op.execute(statement)


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def ensure_database(url: str) -> None:
    """Create the database the URL names if it does not exist (connecting to `postgres` to do so)."""
    name = database_name(url)
    admin = await asyncpg.connect(with_database(url.replace("+asyncpg", ""), "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                await admin.execute(f'CREATE DATABASE "{name}"')
            except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                pass  # another replica created it between our look and our CREATE
    finally:
        await admin.close()
