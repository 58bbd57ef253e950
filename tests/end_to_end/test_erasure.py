"""Erasure travels: the registry erases a child's personal data; `child.erased` reaches the
engine, which cancels the child's live offers (no provider goes on serving a record that no
longer exists), and the reports, which mark the child and keep counting it."""

from __future__ import annotations

from registry.testing import erase_confirmed
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.end_to_end.test_faults import _assessed_children, _directory, _flag


async def test_an_erased_child_is_marked_in_the_reports_and_every_count_stays(system, as_):
    await _directory(system, as_("operator"))
    children = await _assessed_children(system, as_, 3)
    for child in children:
        await _flag(system, as_, child)

    async def reported() -> bool:
        async with database(system.apps["reports"]) as db:
            return await db.fetchval("SELECT count(*) FROM rm_flags") == len(children)

    await wait_until(reported, timeout=30, what="the flags in the reports")
    summary = {"place": "35.09"}
    before = (await system.reports.get("/api/v1/reports/summary", params=summary, headers=as_("operator"))).json()

    erased = await erase_confirmed(system.registry, children[0], asker=as_("operator"), confirmer=as_("admin"))
    assert erased.status_code == 200, erased.text

    async def marked() -> bool:
        async with database(system.apps["reports"]) as db:
            return await db.fetchval("SELECT erased_on FROM rm_children WHERE child_id = $1::uuid",
                                     children[0]) is not None

    await wait_until(marked, timeout=30, what="the erasure reaching the reports")

    async def cancelled() -> list | None:
        async with database(system.apps["referral"]) as db:
            rows = await db.fetch("SELECT status, reason FROM referrals WHERE child_id = $1::uuid", children[0])
        return rows if rows and all(row["status"] == "cancelled" for row in rows) else None

    rows = await wait_until(cancelled, timeout=30, what="the engine cancelling the erased child's offers")
    assert len(rows) == 4 and {row["reason"] for row in rows} == {"child_data_erased"}
    async with database(system.apps["referral"]) as db:
        assert await db.fetchval("SELECT count(*) FROM referrals WHERE child_id <> $1::uuid AND status = 'offered'",
                                 children[0]) == 8, "the other children's offers are untouched"

    after = (await system.reports.get("/api/v1/reports/summary", params=summary, headers=as_("operator"))).json()
    assert after["children_mapped"] == before["children_mapped"] == 3, "the erased child is still counted"
    for table in ("by_classification", "by_sex", "by_age_band", "by_mapping_category"):
        assert after["tables"][table] == before["tables"][table], table
