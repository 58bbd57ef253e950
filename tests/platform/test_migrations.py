"""`migrate` run by several replicas at once (Kubernetes init containers, compose) is safe."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import asyncpg

from sprpa_shared.migrations import with_database

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "registry" / "migrations"


async def test_three_replicas_migrating_one_new_database_at_once_all_succeed_and_apply_it_once(servers):
    url = with_database(servers.database_url, f"sprpa_test_migrate_{uuid.uuid4().hex[:8]}")
    env = {**os.environ, "SPRPA_REGISTRY_DATABASE_URL": url}
    try:
        replicas = [await asyncio.create_subprocess_exec(sys.executable, "-m", "registry", "migrate", env=env,
                                                         stderr=asyncio.subprocess.PIPE) for _ in range(3)]
        for replica in replicas:
            _, stderr = await asyncio.wait_for(replica.communicate(), timeout=120)
            assert replica.returncode == 0, stderr.decode()[-2000:]
        connection = await asyncpg.connect(url)
        try:
            assert await connection.fetchval("SELECT count(*) FROM alembic_version") == 1
            heads = {path.name.split("_")[3] for path in (MIGRATIONS / "versions").glob("*.py")}
            assert await connection.fetchval("SELECT version_num FROM alembic_version") == max(heads)
        finally:
            await connection.close()
    finally:
        admin = await asyncpg.connect(servers.database_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await admin.close()
