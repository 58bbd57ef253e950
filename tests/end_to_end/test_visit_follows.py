"""Issue 20, point 7: a monitoring visit that reclassifies the child is a change to the child, so it
produces `child.updated` like every other change, and the reports' copy follows the visit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from registry.testing import child_payload
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.end_to_end.conftest import running_system


@pytest.fixture
async def system(make_settings, issuer, tmp_path_factory):
    async with running_system(make_settings, issuer, tmp_path_factory) as started:
        yield started


async def test_the_reports_follow_a_visit_that_reclassifies_the_child(system, as_):
    clock = system.apps["registry"].state.clock
    clock.advance(-timedelta(days=200))
    created = await system.registry.post("/api/v1/children", headers=as_("cadre"), json=child_payload(nik=None))
    clock.advance(timedelta(days=200))
    child = created.json()
    assert child["classification"]["result"] in ("worst_form", "child_labour")
    visit = await system.registry.post(f"/api/v1/children/{child['id']}/visits",
                                       headers={**as_("cadre"), "If-Match": "*"}, json={
        "visited_on": clock.now().date().isoformat(), "working": False, "attendance": "school",
        "attending_since": "2026-08-01"})
    assert visit.status_code == 201, visit.text

    async def followed():
        async with database(system.apps["reports"]) as db:
            row = await db.fetchrow("SELECT classification, school_status FROM rm_children WHERE child_id = $1",
                                    uuid.UUID(child["id"]))
        return row if row and row["classification"] not in ("worst_form", "child_labour") else None

    row = await wait_until(followed, timeout=30, what="the reports' copy reclassified by the visit")
    assert row["school_status"] == "in_school"
