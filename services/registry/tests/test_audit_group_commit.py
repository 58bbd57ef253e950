"""Reads of a child are audited by group commit (issue 27): concurrent reads share one INSERT and
one commit, and no read is answered before its own audit row is committed."""

from __future__ import annotations

import asyncio
import uuid


async def test_concurrent_reads_each_leave_their_row_committed_before_the_answer(api, as_, register, db):
    children = [uuid.UUID((await register())["id"]) for _ in range(5)]
    headers = as_("operator")
    one_at_a_time = asyncio.Lock()  # the test's own connection runs one statement at a time

    async def read(child: uuid.UUID) -> int:
        response = await api.get(f"/api/v1/children/{child}", headers=headers)
        assert response.status_code == 200
        async with one_at_a_time:  # answered: its row is there for anyone to see, from another connection
            return await db.fetchval("SELECT count(*) FROM audit_log WHERE child_id = $1 AND action = $2",
                                     child, "GET /api/v1/children/{child_id}")

    seen = await asyncio.gather(*(read(children[n % 5]) for n in range(40)))
    assert all(count >= 1 for count in seen)
    rows = await db.fetch("SELECT child_id, count(*) AS n FROM audit_log WHERE action = $1 GROUP BY child_id",
                          "GET /api/v1/children/{child_id}")
    assert {row["child_id"]: row["n"] for row in rows} == {child: 8 for child in children}


async def test_a_read_whose_audit_row_cannot_be_written_is_not_answered(api, as_, register, db):
    child = await register()
    await db.execute("""
        CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_log refuses rows'; END $$""")
    await db.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                     "FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit()")
    try:
        response = await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator"))
    finally:
        await db.execute("DROP TRIGGER refuse_audit ON audit_log")
        await db.execute("DROP FUNCTION refuse_audit()")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert child["full_name"] not in response.text and child["birth_date"] not in response.text
    again = await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator"))
    assert again.status_code == 200, "the writer goes on after a failed batch"
