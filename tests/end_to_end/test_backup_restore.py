"""Back up the running system, lose every server, restore onto empty ones: the same rows in every
service database, the same messages at the same sequence numbers in every stream, and the reports'
read models rebuilt from the restored streams by replay come out the same."""

from __future__ import annotations

import asyncio
import dataclasses
import os

import pytest

from reports.main import create_app as create_reports
from reports.readmodels.rebuild import READ_MODELS, rebuild
from reports.settings import ReportsSettings
from sprpa_shared.events.access import ADMIN
from sprpa_shared.migrations import database_name, with_database
from sprpa_shared.ops.backup import Targets, dump, restore, table_counts
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database, running
from sprpa_shared.testing.servers import TestServers
from tests.end_to_end.test_faults import _assessed_children, _directory, _flag

CHILDREN = 4
OFFERS = CHILDREN * 4


async def _settled(system) -> bool:
    async with database(system.apps["reports"]) as db:
        if await db.fetchval("SELECT count(*) FROM rm_referrals") != OFFERS:
            return False
    for app in system.apps.values():
        async with database(app) as db:
            if await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                return False
    return True


async def _read_models(url: str) -> dict[str, int]:
    counts = await table_counts(url)
    return {table: counts[table] for table in READ_MODELS}


async def test_back_up_lose_every_server_restore_and_rebuild_the_reports_by_replay(system, as_, servers, issuer,
                                                                                  tmp_path):
    await _directory(system, as_("operator"))
    for child in await _assessed_children(system, as_, CHILDREN):
        await _flag(system, as_, child)
    await wait_until(lambda: _settled(system), timeout=60, what="every offer made, published and reported")

    key = os.urandom(32)
    targets = Targets({name: app.state.settings.asyncpg_url for name, app in system.apps.items()}, servers.nats_url,
                      servers.nats_seed_file(ADMIN), backup_key=key)
    manifest = await dump(targets, tmp_path / "backup")
    assert manifest["databases"]["referral"]["tables"]["referrals"] == OFFERS
    assert manifest["streams"]["REGISTRY"]["messages"] > 0
    files = sorted(path.name for path in (tmp_path / "backup").iterdir())
    assert files and all(name.endswith(".enc") for name in files if name != "manifest.json"), files
    for path in (tmp_path / "backup").iterdir():  # sealed: not a table name, an event type or a place in the clear
        assert not any(mark in path.read_bytes() for mark in (b"CREATE TABLE", b"sprpa.case.flagged", b"35.09.11")) \
            or path.name == "manifest.json", path.name

    fresh = await asyncio.to_thread(TestServers.start, tmp_path / "fresh")  # nothing survived the loss
    try:
        restored_targets = Targets({name: with_database(fresh.database_url, database_name(url))
                                    for name, url in targets.databases.items()}, fresh.nats_url,
                                   fresh.nats_seed_file(ADMIN), backup_key=key)
        with pytest.raises(SystemExit, match="SPRPA_BACKUP_KEY"):
            await restore(dataclasses.replace(restored_targets, backup_key=None), tmp_path / "backup")
        restored = await restore(restored_targets, tmp_path / "backup")

        for service, entry in manifest["databases"].items():
            assert restored["databases"][service]["tables"] == entry["tables"], service
        for stream, entry in manifest["streams"].items():
            assert restored["streams"][stream] == {"messages": entry["messages"], "last_seq": entry["last_seq"]}
        with pytest.raises(SystemExit, match="is not empty"):
            await restore(restored_targets, tmp_path / "backup")  # never merged into existing data

        reports_url = restored_targets.databases["reports"]
        before = await _read_models(reports_url)
        assert before["rm_referrals"] == OFFERS
        settings = ReportsSettings(environment="test", database_url=reports_url, nats_url=fresh.nats_url,
                                   nats_seed_file=fresh.nats_seed_file("reports"),
                                   oidc_issuer=issuer.issuer, oidc_audience=issuer.audience)
        await rebuild(settings)
        assert (await _read_models(reports_url))["rm_referrals"] == 0, "the read models were emptied"

        async with running(create_reports(settings, verifier=issuer.verifier())):
            async def rebuilt():
                return await _read_models(reports_url) == before

            await wait_until(rebuilt, timeout=60, what="the read models rebuilt by replay")
    finally:
        await asyncio.to_thread(fresh.stop)
