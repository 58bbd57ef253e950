"""Activities, sessions and prevention through activities, through the API on real PostgreSQL (issue 26,
points 2 and 3): a registered at-risk child who took part in enough sessions becomes prevented once a
follow-up visit confirms, and not before; anonymous attendance never makes a prevented child."""

from __future__ import annotations

import json
import uuid

import pytest

from registry.testing import KESILIR_NEIGHBOUR
from services.registry.tests.conftest import registering_earlier

AT_RISK = {"work": None, "school_status": "in_school", "mapping_categories": ["at_risk"], "nik": None}
AT_RISK_ASSESSMENT = {"work": None, "school_status": "in_school", "living_arrangement": "with_family",
                      "root_causes": ["poverty"]}
FOLLOW_UP = {"visited_on": "2026-11-20", "working": False, "attendance": "school", "attending_since": "2026-07-01"}
RULE = {"min_sessions": 3, "window_months": 6, "kinds": ["forum_anak_session"], "effective_from": "2026-01-01"}
TWELVE_ANONYMOUS = [{"sex": "female", "age_band": "13_14", "count": 7}, {"sex": "male", "age_band": "15_17",
                                                                         "count": 5}]


@pytest.fixture
def register(register, clock):
    return registering_earlier(register, clock, days=170)


@pytest.fixture
async def at_risk(api, as_, register):
    """Two assessed at-risk children of Kesilir, with no referral."""
    children = []
    for name in ("Dewi Lestari", "Rina Wati"):
        child = await register(full_name=name, **AT_RISK)
        response = await api.post(f"/api/v1/children/{child['id']}/assessments", json=AT_RISK_ASSESSMENT,
                                  headers={**as_("cadre"), "If-Match": "*"})
        assert response.status_code == 201, response.text
        assert (response.json()["status"], response.json()["classification"]["result"]) == ("assessed", "at_risk")
        children.append(response.json())
    return children


async def forum_anak(api, as_, **overrides) -> dict:
    response = await api.post("/api/v1/activities", headers=as_("cadre"), json={
        "village_code": "35.09.11.2007", "kind": "forum_anak_session", "topic": "Hak anak dan bahaya kerja",
        "recurring": True, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


async def session(api, as_, activity_id, held_on, *, children=(), anonymous=TWELVE_ANONYMOUS):
    return await api.post(f"/api/v1/activities/{activity_id}/sessions", headers=as_("cadre"),
                          json={"held_on": held_on, "anonymous": anonymous, "child_ids": list(children)})


async def follow_up(api, as_, child_id, **overrides):
    return await api.post(f"/api/v1/children/{child_id}/visits", json={**FOLLOW_UP, **overrides},
                          headers={**as_("cadre"), "If-Match": "*"})


async def test_enough_sessions_prevent_an_at_risk_child_once_a_follow_up_confirms(api, as_, at_risk, db):
    taking_part, only_counted = at_risk
    rule = await api.put("/api/v1/regencies/35.09/prevention-rule", json=RULE, headers=as_("operator"))
    assert rule.status_code == 200, rule.text
    assert rule.json()["in_force"]["version"] == 1
    activity = await forum_anak(api, as_)
    for day in ("2026-09-05", "2026-10-03"):
        response = await session(api, as_, activity["id"], day, children=[taking_part["id"]])
        assert response.status_code == 201, response.text

    early = await follow_up(api, as_, taking_part["id"], visited_on="2026-10-10")
    assert early.json()["outcome"] == "no_change", "two sessions: the rule asks for three"

    third = await session(api, as_, activity["id"], "2026-11-07", children=[taking_part["id"]])
    assert third.status_code == 201, third.text
    status = (await api.get(f"/api/v1/children/{taking_part['id']}", headers=as_("cadre"))).json()["status"]
    assert status == "assessed", "sessions alone never prevent: a follow-up visit confirms"

    confirmed = await follow_up(api, as_, taking_part["id"])
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["outcome"] == "prevented"
    history = (await api.get(f"/api/v1/children/{taking_part['id']}/history", headers=as_("cadre"))).json()["items"]
    assert history[-1]["to_status"] == "prevented"
    assert "3 prevention sessions in 6 months (rule v1 of 35.09: 3)" in history[-1]["reason"]
    event = json.loads(await db.fetchval(
        "SELECT envelope::text FROM outbox WHERE type = 'sprpa.case.status_changed.v1' "
        "AND envelope->'data'->>'to_status' = 'prevented'"))
    assert event["data"]["basis"] == "activities" and event["data"]["child_id"] == taking_part["id"]
    started = await db.fetchval("SELECT remediation_started_on::text FROM children WHERE id = $1",
                                uuid.UUID(taking_part["id"]))
    assert started == "2026-09-05", "prevention began with the first session that counts"

    # The other child was only among the anonymous participants of every session: reach, never prevented.
    anonymous_only = await follow_up(api, as_, only_counted["id"])
    assert anonymous_only.json()["outcome"] == "no_change"
    assert await db.fetchval("SELECT count(*) FROM case_history WHERE to_status = 'prevented'") == 1


async def test_sessions_outside_the_window_or_of_other_kinds_do_not_count(api, as_, at_risk, db):
    child = at_risk[0]
    assert (await api.put("/api/v1/regencies/35.09/prevention-rule", json=RULE, headers=as_("operator"))).is_success
    old = await forum_anak(api, as_)
    for day in ("2026-03-07", "2026-04-04"):  # more than 6 months before the visit
        assert (await session(api, as_, old["id"], day, children=[child["id"]])).status_code == 201
    training = await forum_anak(api, as_, kind="training", recurring=False)
    assert (await session(api, as_, training["id"], "2026-10-01", children=[child["id"]])).status_code == 201
    recent = await session(api, as_, old["id"], "2026-11-01", children=[child["id"]])
    assert recent.status_code == 201
    assert (await follow_up(api, as_, child["id"])).json()["outcome"] == "no_change"


async def test_the_version_in_force_on_the_visit_day_decides(api, as_, at_risk):
    child = at_risk[0]
    first = await api.put("/api/v1/regencies/35.09/prevention-rule", json={**RULE, "min_sessions": 5},
                          headers=as_("operator"))
    assert first.json()["in_force"]["min_sessions"] == 5
    second = await api.put("/api/v1/regencies/35.09/prevention-rule",
                           json={**RULE, "min_sessions": 2, "effective_from": "2026-11-21"}, headers=as_("operator"))
    assert [v["version"] for v in second.json()["versions"]] == [1, 2]
    again = await api.put("/api/v1/regencies/35.09/prevention-rule",
                          json={**RULE, "min_sessions": 2, "effective_from": "2026-11-21"}, headers=as_("operator"))
    assert len(again.json()["versions"]) == 2, "the same rule again makes no new version"
    activity = await forum_anak(api, as_)
    for day in ("2026-10-03", "2026-11-07"):
        assert (await session(api, as_, activity["id"], day, children=[child["id"]])).status_code == 201
    assert (await follow_up(api, as_, child["id"], visited_on="2026-11-20")).json()["outcome"] == "no_change", \
        "on the 20th version 1 is in force: 5 sessions"
    assert (await follow_up(api, as_, child["id"], visited_on="2026-11-22")).json()["outcome"] == "prevented"


async def test_a_rule_is_set_by_the_kabupatens_operators_only(api, as_):
    assert (await api.put("/api/v1/regencies/35.09/prevention-rule", json=RULE, headers=as_("cadre"))
            ).status_code == 403
    assert (await api.put("/api/v1/regencies/52.03/prevention-rule", json=RULE, headers=as_("operator"))
            ).status_code == 403
    assert (await api.get("/api/v1/regencies/52.03/prevention-rule", headers=as_("operator"))).status_code == 404
    assert (await api.get("/api/v1/regencies/35.09/prevention-rule", headers=as_("cadre"))).status_code == 404
    default = (await api.get("/api/v1/regencies/35.09/prevention-rule", headers=as_("operator"))).json()
    assert default["in_force"]["version"] == 0 and default["versions"] == []
    bad = await api.put("/api/v1/regencies/35.09/prevention-rule", json={**RULE, "min_sessions": 0},
                        headers=as_("operator"))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


async def test_a_session_takes_children_of_the_desa_register_only(api, as_, at_risk, register, db):
    neighbour = await register("operator", full_name="Ani Susanti", village_code=KESILIR_NEIGHBOUR, nik=None)
    activity = await forum_anak(api, as_)
    refused = await session(api, as_, activity["id"], "2026-11-01", children=[at_risk[0]["id"], neighbour["id"]])
    assert refused.status_code == 422, refused.text
    assert [error["message"] for error in refused.json()["errors"]] == [
        f"{neighbour['id']} is not a child of this desa's register"]
    assert await db.fetchval("SELECT count(*) FROM activity_sessions") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.activity.session_recorded.v1'") == 0


async def test_a_forum_anak_session_with_anonymous_and_registered_participants(api, as_, at_risk, db):
    activity = await forum_anak(api, as_)
    recorded = await api.post(f"/api/v1/activities/{activity['id']}/sessions",
                              headers={**as_("cadre"), "Idempotency-Key": "fa-2026-11-14"},
                              json={"held_on": "2026-11-14", "anonymous": TWELVE_ANONYMOUS,
                                    "child_ids": [c["id"] for c in at_risk]})
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["anonymous_total"] == 12
    replayed = await api.post(f"/api/v1/activities/{activity['id']}/sessions",
                              headers={**as_("cadre"), "Idempotency-Key": "fa-2026-11-14"},
                              json={"held_on": "2026-11-14", "anonymous": TWELVE_ANONYMOUS,
                                    "child_ids": [c["id"] for c in at_risk]})
    assert replayed.json()["id"] == recorded.json()["id"]
    assert (await session(api, as_, activity["id"], "2026-11-14")).status_code == 409, "one session a day"
    listed = (await api.get(f"/api/v1/activities/{activity['id']}/sessions", headers=as_("operator"))).json()
    assert [len(s["child_ids"]) for s in listed["items"]] == [2]
    event = json.loads(await db.fetchval(
        "SELECT envelope::text FROM outbox WHERE type = 'sprpa.activity.session_recorded.v1'"))
    assert sorted(event["data"]["child_ids"]) == sorted(c["id"] for c in at_risk)
    assert "Dewi" not in json.dumps(event) and "Hak anak" not in json.dumps(event), "ids and counts only"
    page = (await api.get("/api/v1/activities?kind=forum_anak_session", headers=as_("cadre"))).json()
    assert [a["sessions"] for a in page["items"]] == [1]
    assert (await api.get("/api/v1/activities", headers=as_("cadre", KESILIR_NEIGHBOUR))).json()["items"] == []
    assert (await api.get(f"/api/v1/activities/{activity['id']}", headers=as_("cadre", KESILIR_NEIGHBOUR))
            ).status_code == 404


async def test_a_one_off_activity_has_one_session(api, as_):
    activity = await forum_anak(api, as_, kind="socialisation", recurring=False, topic="Sosialisasi di SDN 3")
    assert (await session(api, as_, activity["id"], "2026-11-10")).status_code == 201
    assert (await session(api, as_, activity["id"], "2026-11-11")).status_code == 409
    nobody = await session(api, as_, activity["id"], "2026-11-12", anonymous=[])
    assert nobody.status_code == 422
