"""The audit log: append-only, tamper-evident (a hash chain sealed in the order rows became
visible), queryable by national admins only, and the query itself audited."""

from __future__ import annotations

import asyncpg
import pytest

from registry.main import create_app
from registry.settings import RegistrySettings
from registry.testing import child_payload
from sprpa_shared import audit
from sprpa_shared.testing.apps import database, running


@pytest.fixture
async def registry(make_settings, issuer, tmp_path):
    app = create_app(await make_settings(RegistrySettings, import_spool_dir=tmp_path, audit_seal_seconds=3600),
                     verifier=issuer.verifier())
    async with running(app) as client:
        yield app, client


async def _seal(app) -> int:
    return await audit.seal_pass(app)


async def _verify(client, as_) -> dict:
    response = await client.get("/api/v1/audit/verify", headers=as_("admin"))
    assert response.status_code == 200, response.text
    return response.json()


async def test_national_admins_query_the_log_and_their_query_is_itself_audited(registry, as_):
    app, client = registry
    child = (await client.post("/api/v1/children", json=child_payload(), headers=as_("cadre"))).json()
    assert (await client.get(f"/api/v1/children/{child['id']}", headers=as_("operator"))).status_code == 200

    for role in ("operator", "cadre", "analyst", "provider"):
        assert (await client.get("/api/v1/audit", headers=as_(role))).status_code == 403, role
    page = (await client.get("/api/v1/audit", params={"child_id": child["id"]}, headers=as_("admin"))).json()
    assert [(row["actor_role"], row["action"]) for row in page["items"]] == [
        ("village_cadre", "POST /api/v1/children"),
        ("district_operator", "GET /api/v1/children/{child_id}")]
    assert page["items"][1]["actor"] == "operator-35.09" and page["items"][1]["client_ip"]

    again = (await client.get("/api/v1/audit", params={"child_id": child["id"]}, headers=as_("admin"))).json()
    assert again["items"][-1]["actor_role"] == "national_admin" and again["items"][-1]["action"] == "GET /api/v1/audit"
    by_actor = (await client.get("/api/v1/audit", params={"actor": "operator-35.09"}, headers=as_("admin"))).json()
    assert {row["actor"] for row in by_actor["items"]} == {"operator-35.09"}


async def test_sealed_rows_form_a_chain_that_shows_an_edit_or_a_deletion(registry, as_):
    app, client = registry
    for _ in range(3):
        await client.post("/api/v1/children", json=child_payload(nik=None), headers=as_("cadre"))
    assert await _seal(app) == 3
    assert await _verify(client, as_) == {"sealed": 3, "unsealed": 0, "intact": True, "first_broken": None}
    await _seal(app)  # the verify request's own row

    async with database(app) as db:
        for statement in ("UPDATE audit_log SET action = 'GET /nothing' WHERE seal_seq = 2",
                          "UPDATE audit_log SET seal_seq = NULL, hash = NULL WHERE seal_seq = 2",
                          "DELETE FROM audit_log WHERE seal_seq = 2", "TRUNCATE audit_log"):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await db.execute(statement)
        # Someone with the power to switch the triggers off can still change a row, but not unseen.
        await db.execute("SET session_replication_role = replica")
        await db.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seal_seq = 2")
    assert (await _verify(client, as_))["first_broken"] == 2

    async with database(app) as db:
        await db.execute("SET session_replication_role = replica")
        await db.execute("UPDATE audit_log SET actor = 'cadre-35.09.11.2007' WHERE seal_seq = 2")
        assert (await _verify(client, as_))["intact"] is True, "put back as it was, the chain is whole again"
        await db.execute("DELETE FROM audit_log WHERE seal_seq = 3")
    assert (await _verify(client, as_))["first_broken"] == 3


async def test_a_transaction_that_commits_late_is_sealed_after_the_rows_that_committed_before_it(registry, as_):
    app, client = registry
    async with database(app) as slow:
        transaction = slow.transaction()
        await transaction.start()
        await slow.execute("INSERT INTO audit_log (at, actor, actor_role, action) VALUES (now(), 'slow', 'x', 'y')")
        await client.post("/api/v1/children", json=child_payload(), headers=as_("cadre"))  # a later id, first
        assert await _seal(app) == 1
        await transaction.commit()
    assert await _seal(app) == 1
    async with database(app) as db:
        rows = await db.fetch("SELECT actor, seal_seq FROM audit_log ORDER BY id")
    assert [(row["actor"], row["seal_seq"]) for row in rows] == [("slow", 2), ("cadre-35.09.11.2007", 1)]
    assert (await _verify(client, as_))["intact"] is True


async def test_a_superuser_who_rewrites_a_row_and_reseals_the_chain_is_still_caught(registry, as_):
    """Issue 19, point 6: the chain was an unkeyed hash inside the same database, so whoever could
    switch the triggers off could edit a row and compute every later seal again. The seals are now
    keyed with a key the database does not hold."""
    app, client = registry
    for _ in range(3):
        await client.post("/api/v1/children", json=child_payload(nik=None), headers=as_("cadre"))
    await _seal(app)
    async with database(app) as db:
        await db.execute("SET session_replication_role = replica")
        await db.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seal_seq = 2")
        previous = await db.fetchval("SELECT hash FROM audit_log WHERE seal_seq = 1")
        for row in await db.fetch("SELECT id, seal_seq FROM audit_log WHERE seal_seq >= 2 ORDER BY seal_seq"):
            previous = await db.fetchval("SELECT audit_row_digest($1, a) FROM audit_log a WHERE id = $2",
                                         previous, row["id"])
            await db.execute("UPDATE audit_log SET hash = $1, seal_key = NULL WHERE id = $2", previous, row["id"])
    check = await _verify(client, as_)
    assert check["intact"] is False and check["first_broken"] == 2, check


async def test_the_chains_head_is_anchored_outside_the_database_and_a_cut_tail_shows(registry, as_, nats_admin):
    app, client = registry
    for _ in range(3):
        await client.post("/api/v1/children", json=child_payload(nik=None), headers=as_("cadre"))
    await _seal(app)
    anchor = await nats_admin.get_last_msg("REGISTRY", "sprpa.registry.audit.anchored._._")
    assert b'"seal_seq":3' in anchor.data.replace(b" ", b"")
    async with database(app) as db:
        await db.execute("SET session_replication_role = replica")
        await db.execute("DELETE FROM audit_log WHERE seal_seq = 3")  # the newest sealed row, gone
    check = await _verify(client, as_)
    assert check["intact"] is False and check["first_broken"] == 3, check
