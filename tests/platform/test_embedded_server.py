"""The PostgreSQL the suite runs on has the settings the system relies on."""

from __future__ import annotations

import asyncpg

from sprpa_shared.ops.embedded import WAL_SETTINGS


async def test_the_server_keeps_an_imports_wal_from_holding_up_small_commits(servers):
    """Issue 27: new WAL segments are not zero-filled and the WAL writer flushes every 10 ms, so a
    read's audit commit does not wait behind an import's WAL (the embedded server and deploy/ set
    them; a suite run against a server of its own checks that server)."""
    connection = await asyncpg.connect(servers.database_url)
    try:
        assert {name: await connection.fetchval(f"SHOW {name}") for name in WAL_SETTINGS} == WAL_SETTINGS
    finally:
        await connection.close()
