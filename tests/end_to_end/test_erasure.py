"""Erasure travels: the registry erases a child's personal data, `child.erased` reaches the
reports, which mark the child and keep counting it, so every report adds up as before."""

from __future__ import annotations

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

    erased = await system.registry.post(f"/api/v1/children/{children[0]}/erase", headers=as_("operator"),
                                        json={"basis": "data_subject_request"})
    assert erased.status_code == 200, erased.text

    async def marked() -> bool:
        async with database(system.apps["reports"]) as db:
            return await db.fetchval("SELECT erased_on FROM rm_children WHERE child_id = $1::uuid",
                                     children[0]) is not None

    await wait_until(marked, timeout=30, what="the erasure reaching the reports")
    after = (await system.reports.get("/api/v1/reports/summary", params=summary, headers=as_("operator"))).json()
    assert after["tables"] == before["tables"], "every count stays"
