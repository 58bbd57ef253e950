"""Assessing and flagging a case: lifecycle enforced, consent required, needs derived, event out."""

from __future__ import annotations

import json
import uuid

import pytest

from sprpa_contracts.events import CaseFlagged
from sprpa_shared.auth.principal import Role
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.testing import wait_until

GUARDIAN = {"basis": "guardian", "given_by": "Ibu Sri", "relation": "mother", "given_on": "2026-11-20",
            "document_ref": "FORM-PERSETUJUAN-017"}
ASSESSMENT = {
    "work": {"sector": "tobacco", "hours_per_day": 5, "hours_per_week": 30, "hazards": ["green_tobacco"]},
    "school_status": "out_of_school",
    "living_arrangement": "with_family",
    "root_causes": ["poverty", "out_of_school"],
}


@pytest.fixture
async def assessed(api, as_, register):
    child = await register()
    response = await api.post(f"/api/v1/children/{child['id']}/assessments", json=ASSESSMENT,
                              headers={**as_("cadre"), "If-Match": "*"})
    assert response.status_code == 201, response.text
    return response.json()


async def test_assessment_recomputes_and_moves_the_case(assessed):
    assert assessed["status"] == "assessed"
    assert assessed["root_causes"] == ["poverty", "out_of_school"]
    assert assessed["classification"]["result"] == "worst_form"


async def test_flagging_needs_an_assessed_case(api, as_, register):
    child = await register()
    response = await api.post(f"/api/v1/children/{child['id']}/flag",
                              json={"root_causes": ["poverty"], "consent": GUARDIAN}, headers=as_("operator"))
    assert response.status_code == 409
    assert response.json()["current_status"] == "identified"


async def test_flag_derives_needs_records_consent_and_emits_the_event(api, as_, assessed, db, registry_app):
    url = f"/api/v1/children/{assessed['id']}/flag"
    response = await api.post(url, json={"root_causes": ["poverty", "out_of_school", "no_birth_certificate"],
                                         "extra_needs": ["health.basic_check"], "consent": GUARDIAN},
                              headers=as_("operator"))
    assert response.status_code == 201, response.text
    flag = response.json()
    assert flag["status"] == "flagged"
    assert flag["needs"] == [
        "family.economic", "family.social_assistance", "basic_needs.package", "education.formal_school",
        "education.school_support", "civil.birth_certificate", "health.basic_check",
    ]
    consent = await db.fetchrow("SELECT basis, relation, document_ref, scope FROM consents WHERE id = $1",
                                uuid.UUID(flag["consent_id"]))
    assert dict(consent) == {"basis": "guardian", "relation": "mother", "document_ref": "FORM-PERSETUJUAN-017",
                             "scope": ["share_with_mou_providers"]}
    stored = await db.fetchrow("SELECT status, flagged_as, version FROM children WHERE id = $1",
                               uuid.UUID(assessed["id"]))
    assert dict(stored) == {"status": "flagged", "flagged_as": "worst_form", "version": assessed["version"] + 1}
    assert response.headers["ETag"] == f'"{assessed["version"] + 1}"'

    js = registry_app.state.bus.js

    async def flagged_message():
        for sequence in range(1, (await js.stream_info("REGISTRY")).state.last_seq + 1):
            message = await js.get_msg("REGISTRY", sequence)
            if message.subject.startswith("sprpa.registry.case.flagged."):
                return message
        return None

    message = await wait_until(flagged_message, what="case.flagged published through the outbox")
    assert message.subject == "sprpa.registry.case.flagged.35.09"
    envelope = Envelope.from_bytes(message.data)
    event = CaseFlagged.model_validate(envelope.data)
    assert (event.child_id, event.age, event.sex, event.classification) == (
        uuid.UUID(assessed["id"]), 14, "female", "worst_form")
    assert event.needs == flag["needs"]
    for personal in ("Siti", "3509114508120001", "Ibu Sri", "FORM-PERSETUJUAN"):
        assert personal not in message.data.decode()

    again = await api.post(url, json={"root_causes": ["poverty"], "consent": GUARDIAN}, headers=as_("operator"))
    assert again.status_code == 409, "a flagged case is not flagged twice"


async def test_history_tells_who_moved_the_case(api, as_, assessed):
    await api.post(f"/api/v1/children/{assessed['id']}/flag", json={"root_causes": ["poverty"], "consent": GUARDIAN},
                   headers=as_("operator"))
    history = (await api.get(f"/api/v1/children/{assessed['id']}/history", headers=as_("cadre"))).json()["items"]
    assert [(h["actor_role"], h["from_status"], h["to_status"]) for h in history] == [
        ("village_cadre", None, "identified"),
        ("village_cadre", "identified", "assessed"),
        ("district_operator", "assessed", "flagged"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"root_causes": ["poverty"]}, "consent"),
        ({"root_causes": ["poverty"], "consent": {**GUARDIAN, "given_by": None}}, "consent.given_by"),
        ({"root_causes": ["poverty"], "consent": {"basis": "legal_basis", "given_on": "2026-11-20"}},
         "consent.legal_reason"),
        ({"root_causes": [], "consent": GUARDIAN}, "root_causes"),
        ({"root_causes": ["laziness"], "consent": GUARDIAN}, "root_causes.0"),
        ({"root_causes": ["poverty"], "extra_needs": ["education.university"], "consent": GUARDIAN}, "extra_needs"),
        ({"root_causes": ["poverty"], "consent": {**GUARDIAN, "given_on": "2026-12-01"}}, "consent.given_on"),
        ({"root_causes": ["poverty"], "consent": GUARDIAN, "needs": ["legal.aid"]}, "needs"),
    ],
)
async def test_bad_flags_are_problems_and_change_nothing(api, as_, assessed, db, body, field):
    response = await api.post(f"/api/v1/children/{assessed['id']}/flag", json=body, headers=as_("operator"))
    assert response.status_code == 422, response.text
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(f == field or f.startswith(field + ".") for f in fields), fields
    assert await db.fetchval("SELECT status FROM children") == "assessed"
    assert await db.fetchval("SELECT count(*) FROM flags") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.case.flagged.v1'") == 0


async def test_a_legal_basis_stands_in_for_guardian_consent_once_a_second_person_approves(api, as_, assessed, db,
                                                                                       issuer):
    legal = {"basis": "legal_basis", "given_on": "2026-11-20",
             "legal_reason": "guardian is the suspected exploiter; UU 35/2014 art. 59 special protection"}
    url = f"/api/v1/children/{assessed['id']}/flag"
    response = await api.post(url, json={"root_causes": ["commercial_sexual_exploitation"], "consent": legal},
                              headers=as_("operator"))
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["approval"], body["status"]) == ("pending", "assessed")
    assert body["needs"] == ["protection.safe_house", "psychosocial.counselling", "health.sti_check", "legal.aid"]
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.case.flagged.v1'") == 0
    waiting = json.loads(await db.fetchval(
        "SELECT envelope::text FROM outbox WHERE type = 'sprpa.case.approval_requested.v1'"))
    assert waiting["data"] == {"child_id": assessed["id"], "flag_id": body["id"], "village_code": "35.09.11.2007",
                               "needs": body["needs"]}, "the district hears that a second person must approve"
    again = await api.post(url, json={"root_causes": ["commercial_sexual_exploitation"], "consent": legal},
                           headers=as_("operator"))
    assert again.status_code == 409 and "awaits" in again.json()["detail"]

    same_person = await api.post(f"{url}/approve", headers=as_("operator"))
    assert same_person.status_code == 403 and "second person" in same_person.json()["detail"]
    assert (await api.post(f"{url}/approve", headers=as_("cadre"))).status_code == 403
    assert (await api.post(f"{url}/approve", headers=as_("operator", "52.03"))).status_code == 404
    assert await db.fetchval("SELECT status FROM children") == "assessed"

    colleague = issuer.headers(Role.DISTRICT_OPERATOR, regencies=("35.09",), subject="operator-kedua")
    approved = await api.post(f"{url}/approve", headers=colleague)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["approval"], approved.json()["approved_by"]) == ("approved", "operator-kedua")
    assert await db.fetchval("SELECT status FROM children") == "flagged"
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.case.flagged.v1'") == 1
    reason = await db.fetchval("SELECT reason FROM case_history WHERE to_status = 'flagged'")
    assert reason.startswith("override approved")
    assert (await api.post(f"{url}/approve", headers=colleague)).status_code == 409  # nothing waits any more


async def test_relapse_reopens_a_case_by_assessment(api, as_, assessed, db):
    closed = await api.post(f"/api/v1/children/{assessed['id']}/close", json={"reason": "moved_away"},
                            headers=as_("operator"))
    assert closed.json()["status"] == "closed"
    reopened = await api.post(f"/api/v1/children/{assessed['id']}/assessments", json=ASSESSMENT,
                              headers={**as_("cadre"), "If-Match": "*"})
    assert reopened.json()["status"] == "assessed"


LEGAL = {"basis": "legal_basis", "given_on": "2026-11-20",
         "legal_reason": "guardian is the suspected exploiter; UU 35/2014 art. 59 special protection"}


async def test_a_pending_flag_can_be_rejected_with_a_reason_and_the_case_flagged_again(api, as_, assessed, db,
                                                                                       issuer):
    """Issue 20, point 10: a flag waiting for a second person could not be rejected, so it blocked
    flagging the child again for ever."""
    url = f"/api/v1/children/{assessed['id']}/flag"
    pending = await api.post(url, json={"root_causes": ["commercial_sexual_exploitation"], "consent": LEGAL},
                             headers=as_("operator"))
    assert pending.status_code == 202
    colleague = issuer.headers(Role.DISTRICT_OPERATOR, regencies=("35.09",), subject="operator-kedua")
    assert (await api.post(f"{url}/reject", json={"reason": "no_legal_basis"}, headers=as_("cadre"))).status_code \
        == 403
    rejected = await api.post(f"{url}/reject", json={"reason": "no_legal_basis"}, headers=colleague)
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["approval"], rejected.json()["status"]) == ("rejected", "assessed")
    assert (await api.post(f"{url}/approve", headers=colleague)).status_code == 409, "nothing waits any more"
    history = (await api.get(f"/api/v1/children/{assessed['id']}/history", headers=as_("operator"))).json()["items"]
    assert history[-1]["reason"] == "flag rejected: no_legal_basis"
    again = await api.post(url, json={"root_causes": ["out_of_school"], "consent": GUARDIAN}, headers=as_("operator"))
    assert again.status_code == 201, again.text
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.case.flagged.v1'") == 1


async def test_consent_can_be_withdrawn_and_the_engine_is_told(api, as_, assessed, db):
    url = f"/api/v1/children/{assessed['id']}"
    flagged = await api.post(f"{url}/flag", json={"root_causes": ["out_of_school"], "consent": GUARDIAN},
                             headers=as_("operator"))
    assert flagged.status_code == 201
    assert (await api.post(f"{url}/consent/withdraw", json={"withdrawn_on": "2026-11-22"},
                           headers=as_("cadre", "35.09.11.2001"))).status_code == 404
    withdrawn = await api.post(f"{url}/consent/withdraw", json={"withdrawn_on": "2026-11-22"},
                               headers=as_("operator"))
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_on"] == "2026-11-22"
    event = await db.fetchrow("SELECT subject, envelope->'data' AS data FROM outbox "
                              "WHERE type = 'sprpa.consent.withdrawn.v1'")
    assert event is not None and "Ibu" not in str(event["data"])
    again = await api.post(f"{url}/consent/withdraw", json={"withdrawn_on": "2026-11-22"}, headers=as_("operator"))
    assert again.status_code == 409
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = "
                             "'POST /api/v1/children/{child_id}/consent/withdraw' AND outcome = 'allowed'") == 1


async def test_the_preview_shows_exactly_the_needs_the_flag_then_requests(api, as_, assessed, db):
    """Issue 20, point 8: what a flag will ask for was seen only after the flag."""
    url = f"/api/v1/children/{assessed['id']}/flag"
    preview = await api.get(f"{url}/preview", params={"root_causes": ["out_of_school", "poverty"],
                                                      "extra_needs": ["civil.birth_certificate"]},
                            headers=as_("operator"))
    assert preview.status_code == 200, preview.text
    assert (await api.get(f"{url}/preview", params={"extra_needs": ["nonsense"]},
                          headers=as_("operator"))).status_code == 422
    flagged = await api.post(url, headers=as_("operator"), json={
        "root_causes": ["out_of_school", "poverty"], "extra_needs": ["civil.birth_certificate"], "consent": GUARDIAN})
    assert flagged.status_code == 201, flagged.text
    assert flagged.json()["needs"] == preview.json()["needs"] and len(preview.json()["needs"]) >= 3


async def test_an_assessment_needs_the_version_it_was_made_against(api, as_, register, db):
    """Issue 23, point 4: an assessment replaces the child's facts, so it needs If-Match; before, it
    overwrote a change made meanwhile."""
    child = await register()
    url = f"/api/v1/children/{child['id']}/assessments"
    assert (await api.post(url, json=ASSESSMENT, headers=as_("cadre"))).status_code == 428
    await api.patch(f"/api/v1/children/{child['id']}", json={"school_status": "in_school"},
                    headers={**as_("operator"), "If-Match": '"1"'})
    stale = await api.post(url, json=ASSESSMENT, headers={**as_("cadre"), "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["current_etag"] == '"2"'
    record = await api.get(f"/api/v1/children/{child['id']}", headers=as_("cadre"))
    assert record.json()["school_status"] == "in_school" and record.json()["status"] == "identified", "unchanged"
    fresh = await api.post(url, json=ASSESSMENT, headers={**as_("cadre"), "If-Match": record.headers["etag"]})
    assert fresh.status_code == 201 and fresh.headers["etag"] == '"3"'


async def test_a_retried_assessment_answers_its_first_result_not_a_conflict(api, as_, register, db):
    """Issue 23: a sync cut off after the registry took an assessment sends it again with the same
    Idempotency-Key; the answer is the record, not a 412, and it is recorded once."""
    child = await register()
    url = f"/api/v1/children/{child['id']}/assessments"
    headers = {**as_("cadre"), "If-Match": '"1"', "Idempotency-Key": "phone-change-7"}
    first = await api.post(url, json=ASSESSMENT, headers=headers)
    again = await api.post(url, json=ASSESSMENT, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["version"] == first.json()["version"]
    assert await db.fetchval("SELECT count(*) FROM case_history WHERE to_status = 'assessed'") == 1
    other = await api.post(url, json={**ASSESSMENT, "school_status": "in_school"}, headers=headers)
    assert other.status_code == 422, "the same key for another assessment is refused"
