"""Monitoring visits through the API: reclassification, follow-ups, withdrawn, relapse, overdue lists."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import pytest

from registry.testing import KESILIR_NEIGHBOUR, child_payload
from services.registry.tests.conftest import registering_earlier

NOT_WORKING_IN_SCHOOL = {"visited_on": "2026-11-20", "working": False, "attendance": "school",
                         "attending_since": "2026-08-01", "notes": "Ibu bilang anaknya sudah sekolah lagi"}


@pytest.fixture
def register(register, clock):
    """Children registered in June, so that the visits of November come after."""
    return registering_earlier(register, clock, days=170)


async def visit(api, headers, child_id, **overrides):
    return await api.post(f"/api/v1/children/{child_id}/visits", json={**NOT_WORKING_IN_SCHOOL, **overrides},
                          headers={**headers, "If-Match": "*"})


async def test_a_visit_reclassifies_and_schedules_the_next(api, as_, register, db):
    child = await register(work=None, school_status="in_school", nik=None)
    assert child["next_visit_due"] == "2026-09-06", "routine monitoring: 3 months after registration"
    response = await visit(api, as_("cadre"), child["id"], working=True, attendance="none", attending_since=None,
                           work={"sector": "fishing", "hours_per_day": 6, "hours_per_week": 36})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["classification"]["result"] == "child_labour" and body["outcome"] == "no_change"
    assert body["next_visit_due"] == "2027-02-20"
    after = (await api.get(f"/api/v1/children/{child['id']}", headers=as_("cadre"))).json()
    assert (after["school_status"], after["classification"]["result"]) == ("out_of_school", "child_labour")
    event = await db.fetchrow("SELECT envelope::text AS body FROM outbox WHERE type = 'sprpa.visit.recorded.v1'")
    assert "sekolah" not in event["body"], "notes never leave the registry in events"


async def test_follow_up_confirming_school_for_3_months_withdraws_the_child(api, as_, register, db):
    child = await register()
    await db.execute("UPDATE children SET status = 'in_remediation', flagged_as = 'worst_form', "
                     "remediation_started_on = '2026-08-20'")
    response = await visit(api, as_("cadre"), child["id"])
    assert response.json()["outcome"] == "withdrawn"
    assert response.json()["next_visit_due"] == "2027-02-20", "6-month follow-up after remediation started"
    history = (await api.get(f"/api/v1/children/{child['id']}/history", headers=as_("cadre"))).json()["items"]
    assert history[-1]["to_status"] == "withdrawn"

    relapse = await visit(api, as_("cadre"), child["id"], visited_on="2026-11-22", working=True, attendance="none",
                          attending_since=None, work={"sector": "tobacco", "hours_per_day": 4, "hours_per_week": 20,
                                                      "hazards": ["green_tobacco"]})
    assert relapse.json()["outcome"] == "relapse"
    reopened = (await api.get(f"/api/v1/children/{child['id']}", headers=as_("cadre"))).json()
    assert (reopened["status"], reopened["classification"]["result"]) == ("assessed", "worst_form")


async def test_a_visit_is_recorded_once_per_idempotency_key(api, as_, register, db):
    child = await register()
    headers = {**as_("cadre"), "Idempotency-Key": "visit-2026-11-20"}
    body = {**NOT_WORKING_IN_SCHOOL, "attending_since": "2026-11-01"}
    first, second = await asyncio.gather(
        api.post(f"/api/v1/children/{child['id']}/visits", json=body, headers={**headers, "If-Match": "*"}),
        api.post(f"/api/v1/children/{child['id']}/visits", json=body, headers={**headers, "If-Match": "*"}))
    assert {first.status_code, second.status_code} == {201}, (first.text, second.text)
    assert first.json()["id"] == second.json()["id"]
    assert await db.fetchval("SELECT count(*) FROM visits") == 1
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.visit.recorded.v1'") == 1


async def test_too_short_attendance_does_not_withdraw(api, as_, register, db):
    child = await register()
    await db.execute("UPDATE children SET status = 'in_remediation', flagged_as = 'child_labour', "
                     "remediation_started_on = '2026-08-20'")
    response = await visit(api, as_("cadre"), child["id"], attending_since="2026-09-01")
    assert response.json()["outcome"] == "no_change"
    assert (await db.fetchval("SELECT status FROM children")) == "in_remediation"


async def test_at_risk_child_with_a_service_delivered_is_prevented(api, as_, register, db):
    child = await register(work=None, mapping_categories=["at_risk"], nik=None)
    await db.execute("UPDATE children SET status = 'in_remediation', flagged_as = 'at_risk', "
                     "service_delivered = true, remediation_started_on = '2026-08-20'")
    response = await visit(api, as_("cadre"), child["id"])
    assert response.json()["outcome"] == "prevented"


async def test_overdue_visits_per_desa_in_scope(api, as_, register, clock):
    early = await register(nik=None)  # 2026-06-06: due 2026-09-06
    clock.advance(timedelta(days=10))
    later = await register(nik=None)  # 2026-06-16: due 2026-09-16
    await register("cadre", KESILIR_NEIGHBOUR, village_code=KESILIR_NEIGHBOUR, nik=None)
    now = clock.now()

    clock.set(now.replace(month=9, day=6))
    assert (await api.get("/api/v1/visits/overdue", headers=as_("cadre"))).json()["items"] == [], \
        "due today is not overdue"
    clock.set(now)
    overdue = (await api.get("/api/v1/visits/overdue", headers=as_("cadre"))).json()["items"]
    assert [row["child_id"] for row in overdue] == [early["id"], later["id"]], "most overdue first, own desa only"
    assert overdue[0]["days_overdue"] == (now.date() - date(2026, 9, 6)).days
    assert len((await api.get("/api/v1/visits/overdue", headers=as_("operator"))).json()["items"]) == 3
    assert (await api.get("/api/v1/visits/overdue", headers=as_("operator", "52.03"))).json()["items"] == []
    assert (await api.get("/api/v1/visits/overdue", headers=as_("analyst"))).status_code == 403
    await visit(api, as_("cadre"), early["id"])
    remaining = (await api.get("/api/v1/visits/overdue", headers=as_("cadre"))).json()["items"]
    assert [row["child_id"] for row in remaining] == [later["id"]], "a visit clears the overdue mark"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"visited_on": "2026-12-01"}, "visited_on"),
        ({"visited_on": "2026-01-01", "attending_since": None}, "visited_on"),
        ({"working": True}, "work"),
        ({"attendance": "none"}, "attending_since"),
        ({"attending_since": "2026-11-21"}, "attending_since"),
        ({"attendance": "sometimes"}, "attendance"),
        ({"work": {"sector": "tobacco", "hours_per_day": -1, "hours_per_week": 0}, "working": True},
         "work.hours_per_day"),
    ],
)
async def test_bad_visits_are_problems_and_change_nothing(api, as_, register, db, overrides, field):
    child = await register(nik=None)
    response = await visit(api, as_("cadre"), child["id"], **overrides)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert await db.fetchval("SELECT count(*) FROM visits") == 0
    assert await db.fetchval("SELECT version FROM children") == 1


async def test_visits_of_another_desa_are_invisible(api, as_, register):
    child = await register(nik=None)
    assert (await visit(api, as_("cadre"), child["id"])).status_code == 201
    for who, place in (("cadre", KESILIR_NEIGHBOUR), ("operator", "52.03"), ("provider", None)):
        assert (await api.get(f"/api/v1/children/{child['id']}/visits", headers=as_(who, place))).status_code == 404
        assert (await visit(api, as_(who, place), child["id"])).status_code == 404
    listed = (await api.get(f"/api/v1/children/{child['id']}/visits", headers=as_("operator"))).json()["items"]
    assert len(listed) == 1 and listed[0]["notes"].startswith("Ibu")
    assert (await api.get(f"/api/v1/children/{uuid.uuid4()}/visits", headers=as_("admin"))).status_code == 404


async def test_a_back_dated_visit_classifies_the_child_at_the_age_they_had_on_its_day(api, as_, clock):
    """Issue 20, point 7: a visit typed in later is classified with the age on the visit's date. At 12
    any work is child labour; the same light work at 13 is permitted."""
    now = clock.now()
    clock.set(now - timedelta(days=400))
    registered = await api.post("/api/v1/children", headers=as_("cadre"), json={
        **child_payload(nik=None, birth_date="2012-12-01", work=None, school_status="in_school")})
    clock.set(now)
    assert registered.status_code == 201, registered.text
    light = {"sector": "agriculture", "hours_per_day": 2, "hours_per_week": 10, "parental_consent": True}
    visit = await api.post(f"/api/v1/children/{registered.json()['id']}/visits",
                           headers={**as_("cadre"), "If-Match": "*"}, json={
        "visited_on": "2025-11-20", "working": True, "attendance": "school", "attending_since": "2025-07-14",
        "work": light})  # 12 on that day; 13 today
    assert visit.status_code == 201, visit.text
    assert visit.json()["classification"]["result"] == "child_labour"


async def test_a_visit_needs_the_version_it_was_recorded_against(api, as_, register, db):
    """Issue 23, point 4: a visit replaces the child's work, school and living facts, so it needs
    If-Match; before, it overwrote a change made meanwhile without a word. A retried visit (the same
    Idempotency-Key) still answers its first result."""
    child = await register(nik=None)
    url = f"/api/v1/children/{child['id']}/visits"
    without = await api.post(url, json=NOT_WORKING_IN_SCHOOL, headers=as_("cadre"))
    assert without.status_code == 428, without.text
    changed = await api.patch(f"/api/v1/children/{child['id']}", json={"living_arrangement": "extended_family"},
                              headers={**as_("operator"), "If-Match": '"1"'})
    assert changed.status_code == 200
    stale = await api.post(url, json=NOT_WORKING_IN_SCHOOL, headers={**as_("cadre"), "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["current_etag"] == '"2"', stale.text
    assert await db.fetchval("SELECT count(*) FROM visits") == 0, "nothing recorded"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await api.post(url, json=NOT_WORKING_IN_SCHOOL, headers={**as_("cadre"), "If-Match": '"2"', **key})
    assert first.status_code == 201 and first.headers["etag"] == '"3"'
    again = await api.post(url, json=NOT_WORKING_IN_SCHOOL, headers={**as_("cadre"), "If-Match": '"2"', **key})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"], "a retry is the same visit"
    assert await db.fetchval("SELECT count(*) FROM visits") == 1
