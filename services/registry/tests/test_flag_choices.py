"""Issue 20, points 5, 8 and 10 in the registry: at flag time the operator drops a derived need the
child does not need (with a reason) and states the child's preferences; consent may end on a
date, and when it does the engine is told once, as on a withdrawal."""

from __future__ import annotations

from datetime import timedelta

from registry.cases.service import expire_consents
from registry.testing import GUARDIAN_CONSENT as GUARDIAN
from registry.testing import TOBACCO_ASSESSMENT as ASSESSMENT
from sprpa_shared.events.envelope import Envelope


async def _flagged_event(db) -> dict:
    row = await db.fetchval("SELECT envelope::text FROM outbox WHERE type = 'sprpa.case.flagged.v1'")
    return Envelope.model_validate_json(row).data


async def _assessed(api, as_, register) -> dict:
    child = await register()
    response = await api.post(f"/api/v1/children/{child['id']}/assessments", json=ASSESSMENT,
                              headers={**as_("cadre"), "If-Match": "*"})
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_derived_need_can_be_dropped_with_a_reason_and_preferences_stated(api, as_, register, db):
    child = await _assessed(api, as_, register)
    url = f"/api/v1/children/{child['id']}/flag"
    preview = (await api.get(f"{url}/preview", params={"root_causes": ["poverty", "out_of_school"],
                                                       "extra_needs": ["skills.vocational_course"]},
                             headers=as_("operator"))).json()["needs"]
    assert "family.social_assistance" in preview and "skills.vocational_course" in preview
    flag = await api.post(url, headers=as_("operator"), json={
        "root_causes": ["poverty", "out_of_school"], "extra_needs": ["skills.vocational_course"], "consent": GUARDIAN,
        "dropped_needs": [{"need": "family.social_assistance", "reason": "already_received"}],
        "preferences": {"skills.vocational_course": {"course_type": "computer", "language": "id"}}})
    assert flag.status_code == 201, flag.text
    body = flag.json()
    assert "family.social_assistance" not in body["needs"]
    assert body["needs"] == [need for need in preview if need != "family.social_assistance"]
    assert body["dropped_needs"] == [{"need": "family.social_assistance", "reason": "already_received"}]
    event = await _flagged_event(db)
    assert event["needs"] == body["needs"]
    assert event["preferences"] == {"skills.vocational_course": {"course_type": "computer", "organization_id": None,
                                                                 "language": "id"}}
    history = (await api.get(f"/api/v1/children/{child['id']}/history", headers=as_("operator"))).json()["items"]
    assert history[-1]["reason"].endswith("; dropped family.social_assistance (already_received)")


async def test_dropping_what_the_flag_would_not_ask_for_or_everything_is_refused(api, as_, register, db):
    child = await _assessed(api, as_, register)
    url = f"/api/v1/children/{child['id']}/flag"
    stray = await api.post(url, headers=as_("operator"), json={
        "root_causes": ["out_of_school"], "consent": GUARDIAN,
        "dropped_needs": [{"need": "legal.aid", "reason": "not_needed"}]})
    assert stray.status_code == 422 and stray.json()["errors"][0]["field"] == "dropped_needs"
    everything = await api.post(url, headers=as_("operator"), json={
        "root_causes": ["no_birth_certificate"], "consent": GUARDIAN,
        "dropped_needs": [{"need": "civil.birth_certificate", "reason": "already_received"}]})
    assert everything.status_code == 422
    wrong_preference = await api.post(url, headers=as_("operator"), json={
        "root_causes": ["no_birth_certificate"], "consent": GUARDIAN,
        "preferences": {"legal.aid": {"language": "jv"}}})
    assert wrong_preference.status_code == 422 and wrong_preference.json()["errors"][0]["field"] == "preferences"
    course_elsewhere = await api.post(url, headers=as_("operator"), json={
        "root_causes": ["no_birth_certificate"], "consent": GUARDIAN,
        "preferences": {"civil.birth_certificate": {"course_type": "cooking"}}})
    assert course_elsewhere.status_code == 422
    assert await db.fetchval("SELECT count(*) FROM flags") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.case.flagged.v1'") == 0


async def test_consent_with_an_end_date_ends_once_and_the_engine_is_told(api, as_, register, db, registry_app,
                                                                         clock):
    child = await _assessed(api, as_, register)
    url = f"/api/v1/children/{child['id']}/flag"
    today = clock.now().date()
    ended = await api.post(url, headers=as_("operator"), json={
        "root_causes": ["out_of_school"], "consent": GUARDIAN | {"valid_until": str(today - timedelta(days=1))}})
    assert ended.status_code == 422 and ended.json()["errors"][0]["field"] == "consent.valid_until"
    backwards = await api.post(url, headers=as_("operator"), json={
        "root_causes": ["out_of_school"], "consent": GUARDIAN | {"valid_until": "2026-11-01"}})
    assert backwards.status_code == 422
    last_day = today + timedelta(days=30)
    flag = await api.post(url, headers=as_("operator"), json={
        "root_causes": ["out_of_school"], "consent": GUARDIAN | {"valid_until": str(last_day)}})
    assert flag.status_code == 201, flag.text

    sessions = registry_app.state.sessions
    assert await expire_consents(sessions, now=clock.now() + timedelta(days=30)) == 0  # the last day still holds
    assert await expire_consents(sessions, now=clock.now() + timedelta(days=31)) == 1
    assert await expire_consents(sessions, now=clock.now() + timedelta(days=32)) == 0  # once
    rows = await db.fetch("SELECT envelope::text FROM outbox WHERE type = 'sprpa.consent.withdrawn.v1'")
    data = [Envelope.model_validate_json(row["envelope"]).data for row in rows]
    assert [(d["child_id"], d["reason"], d["on"]) for d in data] == [
        (child["id"], "expired", str(last_day + timedelta(days=1)))]
    history = (await api.get(f"/api/v1/children/{child['id']}/history", headers=as_("operator"))).json()["items"]
    assert history[-1]["reason"] == "consent expired"
    withdraw = await api.post(f"/api/v1/children/{child['id']}/consent/withdraw", json={"withdrawn_on": str(today)},
                              headers=as_("operator"))
    assert withdraw.status_code == 409
