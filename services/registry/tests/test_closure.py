"""Issue 20, point 1: a case reaches `closed` through the API, never by SQL: on its own at the
12-month follow-up that confirms the outcome, or by the district with a reason; a relapse reopens it."""

from __future__ import annotations

from datetime import date

import pytest

from registry.visits.rules import confirms_closure
from services.registry.tests.conftest import registering_earlier


@pytest.fixture
def register(register, clock):
    """Children registered a year and a half ago, so that this month's visits come after."""
    return registering_earlier(register, clock, days=540)


VISIT = {"visited_on": "2026-11-20", "working": False, "attendance": "school", "attending_since": "2026-01-05"}


@pytest.mark.parametrize(("status", "result", "started", "visited", "closes"), [
    ("withdrawn", "not_child_labour", date(2025, 11, 20), date(2026, 11, 20), True),   # 12 months to the day
    ("withdrawn", "not_child_labour", date(2025, 11, 21), date(2026, 11, 20), False),  # a day short
    ("prevented", "permitted_light_work", date(2025, 6, 1), date(2026, 11, 20), True),  # later is fine too
    ("withdrawn", "child_labour", date(2025, 6, 1), date(2026, 11, 20), False),  # working again: a relapse
    ("in_remediation", "not_child_labour", date(2025, 6, 1), date(2026, 11, 20), False),  # outcome not reached
    ("withdrawn", "not_child_labour", None, date(2026, 11, 20), False),
])
def test_the_12_month_follow_up_confirms_closure_only_of_an_outcome_that_holds(status, result, started, visited,
                                                                             closes):
    assert confirms_closure(status=status, classification=result, remediation_started=started,
                            visited_on=visited) is closes


async def test_the_12_month_follow_up_that_confirms_the_withdrawal_closes_the_case(api, as_, register, db, clock):
    child = await register()
    await db.execute("UPDATE children SET status = 'in_remediation', flagged_as = 'worst_form', "
                     "remediation_started_on = '2025-11-15'")  # set up as the referral events would
    response = await api.post(f"/api/v1/children/{child['id']}/visits", json=VISIT,
                              headers={**as_("cadre"), "If-Match": "*"})
    assert response.status_code == 201, response.text
    history = (await api.get(f"/api/v1/children/{child['id']}/history", headers=as_("cadre"))).json()["items"]
    assert [h["to_status"] for h in history[-2:]] == ["withdrawn", "closed"]
    assert history[-1]["reason"].startswith("12-month follow-up confirmed")
    assert (await api.get(f"/api/v1/children/{child['id']}", headers=as_("cadre"))).json()["status"] == "closed"
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.case.status_changed.v1' "
                             "AND envelope->'data'->>'to_status' = 'closed'") == 1


async def test_the_district_closes_a_case_with_its_reason_and_a_relapse_reopens_it(api, as_, register, db):
    child = await register()
    url = f"/api/v1/children/{child['id']}/close"
    assert (await api.post(url, json={"reason": "moved_away"}, headers=as_("cadre"))).status_code == 403
    assert (await api.post(url, json={"reason": "gone fishing"}, headers=as_("operator"))).status_code == 422
    closed = await api.post(url, json={"reason": "moved_away"}, headers=as_("operator"))
    assert closed.status_code == 200 and closed.json()["status"] == "closed", closed.text
    again = await api.post(url, json={"reason": "duplicate"}, headers=as_("operator"))
    assert again.status_code == 409
    history = (await api.get(f"/api/v1/children/{child['id']}/history", headers=as_("operator"))).json()["items"]
    assert (history[-1]["to_status"], history[-1]["reason"]) == ("closed", "closed: moved_away")
    relapse = await api.post(f"/api/v1/children/{child['id']}/visits", headers={**as_("cadre"), "If-Match": "*"}, json={
        **VISIT, "working": True, "attendance": "none", "attending_since": None,
        "work": {"sector": "tobacco", "hours_per_day": 5, "hours_per_week": 30, "hazards": ["green_tobacco"]}})
    assert relapse.json()["outcome"] == "relapse"
    assert (await api.get(f"/api/v1/children/{child['id']}", headers=as_("cadre"))).json()["status"] == "assessed"
