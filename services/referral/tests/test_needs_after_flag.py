"""Issue 20, points 4, 5, 8 and 9 in the engine: a need added to an open case after the flag, a
need withdrawn with a reason, the child's preferences honoured by matching (a filter first, a
rank second, a gap when nobody meets them), and the dates a provider gives for what happened."""

from __future__ import annotations

import uuid
from datetime import timedelta

from referral.testing import COUNSELLING, JEMBER, KESILIR, NOW, SCHOOL, deliver, flagged
from sprpa_contracts.catalogue import NeedPreferences
from sprpa_contracts.events import CaseStatusChanged, ConsentWithdrawn
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.testing.apps import database

COURSE = "skills.vocational_course"
APPRENTICESHIP = "skills.apprenticeship"


async def _events(app, event_type: str) -> list[dict]:
    async with database(app) as db:
        rows = await db.fetch("SELECT envelope::text FROM outbox WHERE type = $1 ORDER BY position", event_type)
    return [Envelope.model_validate_json(row["envelope"]).data for row in rows]


async def _case(api, as_, child_id) -> dict:
    response = await api.get(f"/api/v1/cases/{child_id}", headers=as_("operator"))
    assert response.status_code == 200, response.text
    return response.json()


def _need(case: dict, category: str) -> dict:
    return next(need for need in case["needs"] if need["category"] == category)


async def _one_offer(engine, as_) -> tuple:
    """A child flagged for counselling, offered to the one provider: (its organisation, the offer's id)."""
    app, api, directory = engine
    org, _ = await directory.provider()
    event = flagged()
    await deliver(app, event)
    return org, _need(await _case(api, as_, event.child_id), COUNSELLING)["referrals"][0]["id"]


async def test_a_need_added_to_an_open_case_is_offered_like_the_flags_own(engine, as_):
    app, api, directory = engine
    await directory.provider()
    org, _ = await directory.provider(APPRENTICESHIP)
    event = flagged()
    await deliver(app, event)

    added = await api.post(f"/api/v1/cases/{event.child_id}/needs", json={"category": APPRENTICESHIP},
                           headers=as_("operator") | {"Idempotency-Key": "add-apprenticeship"})
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["status"] == "matching" and body["added_at"] is not None
    assert [(r["organization_id"], r["status"]) for r in body["referrals"]] == [(str(org), "offered")]
    again = await api.post(f"/api/v1/cases/{event.child_id}/needs", json={"category": APPRENTICESHIP},
                           headers=as_("operator") | {"Idempotency-Key": "add-apprenticeship"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == body["id"]

    case = await _case(api, as_, event.child_id)
    assert {need["category"] for need in case["needs"]} == {COUNSELLING, APPRENTICESHIP}
    line = next(line for line in case["timeline"] if line["what"] == "need_added")
    assert line["actor"] == "operator-35.09" and line["need_id"] == body["id"]
    assert [(e["need"], e["change"]) for e in await _events(app, "sprpa.need.changed.v1")] == [
        (APPRENTICESHIP, "added")]
    offers = [e for e in await _events(app, "sprpa.referral.status_changed.v1") if e["need"] == APPRENTICESHIP]
    assert [e["status"] for e in offers] == ["offered"]
    async with database(app) as db:
        audited = await db.fetchval("SELECT count(*) FROM audit_log WHERE child_id = $1 AND object_id = $2",
                                    event.child_id, uuid.UUID(body["id"]))
    assert audited == 2  # the request and its replay


async def test_adding_a_need_is_refused_when_it_cannot_be_served_and_changes_nothing(engine, as_):
    app, api, directory = engine
    await directory.provider()
    event = flagged()
    await deliver(app, event)
    url = f"/api/v1/cases/{event.child_id}/needs"

    same = await api.post(url, json={"category": COUNSELLING}, headers=as_("operator"))
    assert same.status_code == 409 and same.json()["current_status"] == "matching"
    unknown = await api.post(url, json={"category": "skills.juggling"}, headers=as_("operator"))
    assert unknown.status_code == 422 and unknown.headers["content-type"] == "application/problem+json"
    course_for_school = await api.post(url, json={"category": SCHOOL, "preferences": {"course_type": "cooking"}},
                                       headers=as_("operator"))
    assert course_for_school.status_code == 422
    assert (await api.post(url, json={"category": SCHOOL}, headers=as_("cadre", KESILIR))).status_code == 403
    assert (await api.post(url, json={"category": SCHOOL}, headers=as_("operator", "52.03"))).status_code == 404
    assert (await api.post(f"/api/v1/cases/{uuid.uuid4()}/needs", json={"category": SCHOOL},
                           headers=as_("operator"))).status_code == 404
    assert [need["category"] for need in (await _case(api, as_, event.child_id))["needs"]] == [COUNSELLING]

    await deliver(app, ConsentWithdrawn(child_id=event.child_id, village_code=KESILIR,
                                        consent_id=event.consent_id, on=NOW.date()))
    refused = await api.post(url, json={"category": SCHOOL}, headers=as_("operator"))
    assert refused.status_code == 409 and refused.json()["current_status"] == "refused"

    closed = flagged()
    await deliver(app, closed)
    await deliver(app, CaseStatusChanged(child_id=closed.child_id, village_code=KESILIR, from_status="withdrawn",
                                         to_status="closed"))
    response = await api.post(f"/api/v1/cases/{closed.child_id}/needs", json={"category": SCHOOL},
                              headers=as_("operator"))
    assert response.status_code == 409 and response.json()["current_status"] == "closed"
    assert await _events(app, "sprpa.need.changed.v1") == []


async def test_a_need_added_to_a_settled_case_opens_it_again(engine, as_):
    app, api, directory = engine
    event = flagged()  # no provider, no backbone: the need is unmet and the case settles
    await deliver(app, event)
    assert (await _case(api, as_, event.child_id))["status"] == "settled"
    await directory.provider(SCHOOL)
    added = await api.post(f"/api/v1/cases/{event.child_id}/needs", json={"category": SCHOOL},
                           headers=as_("operator"))
    assert added.status_code == 201, added.text
    assert (await _case(api, as_, event.child_id))["status"] == "open"


async def test_a_withdrawn_need_cancels_its_live_referral_and_may_settle_the_case(engine, as_):
    app, api, directory = engine
    org, _ = await directory.provider()
    school_org, _ = await directory.provider(SCHOOL)
    event = flagged(needs=(COUNSELLING, SCHOOL))
    await deliver(app, event)
    case = await _case(api, as_, event.child_id)
    counselling = _need(case, COUNSELLING)
    referral = counselling["referrals"][0]["id"]
    assert (await api.post(f"/api/v1/referrals/{referral}/accept", headers=as_("provider", org))).status_code == 200
    url = f"/api/v1/cases/{event.child_id}/needs/{counselling['id']}/withdraw"

    other = await api.post(url, json={"reason": "other"}, headers=as_("operator"))
    assert other.status_code == 422  # `other` needs its text
    assert (await api.post(url, json={"reason": "child_declined"}, headers=as_("provider", org))).status_code == 404

    withdrawn = await api.post(url, json={"reason": "child_declined"}, headers=as_("operator"))
    assert withdrawn.status_code == 200, withdrawn.text
    body = withdrawn.json()
    assert (body["status"], body["withdrawn_reason"]) == ("withdrawn", "child_declined")
    assert [(r["status"], r["reason"]) for r in body["referrals"]] == [("cancelled", "need_withdrawn")]
    assert (await api.post(url, json={"reason": "child_declined"}, headers=as_("operator"))).status_code == 409
    assert (await _case(api, as_, event.child_id))["status"] == "open"  # the school need still waits

    school = _need(await _case(api, as_, event.child_id), SCHOOL)
    cancelled = await api.post(f"/api/v1/cases/{event.child_id}/needs/{school['id']}/withdraw",
                               json={"reason": "served_elsewhere"}, headers=as_("operator"))
    assert cancelled.status_code == 200
    case = await _case(api, as_, event.child_id)
    assert case["status"] == "settled"
    assert [line["reason"] for line in case["timeline"] if line["what"] == "need_withdrawn"] == [
        "child_declined", "served_elsewhere"]
    changes = await _events(app, "sprpa.need.changed.v1")
    assert [(e["need"], e["change"], e["reason"]) for e in changes] == [
        (COUNSELLING, "withdrawn", "child_declined"), (SCHOOL, "withdrawn", "served_elsewhere")]
    assert school_org  # offered, then withdrawn with its need


async def test_a_need_served_to_completion_cannot_be_withdrawn(engine, as_):
    app, api, directory = engine
    org, _ = await directory.provider()
    event = flagged()
    await deliver(app, event)
    need = _need(await _case(api, as_, event.child_id), COUNSELLING)
    referral = need["referrals"][0]["id"]
    for step, body in (("accept", None), ("start", None), ("complete", {"outcome": "service_delivered"})):
        assert (await api.post(f"/api/v1/referrals/{referral}/{step}", json=body,
                               headers=as_("provider", org))).status_code == 200
    response = await api.post(f"/api/v1/cases/{event.child_id}/needs/{need['id']}/withdraw",
                              json={"reason": "no_longer_needed"}, headers=as_("operator"))
    assert response.status_code == 409 and response.json()["current_status"] == "completed"


async def test_the_childs_preferred_course_is_offered_first_and_alone(engine, as_):
    app, api, directory = engine
    cooking, _ = await directory.provider(COURSE, course_type="cooking")
    computer, _ = await directory.provider(COURSE, course_type="computer")
    await directory.provider(COURSE, course_type="tailoring")
    event = flagged(needs=(COURSE,), preferences={COURSE: NeedPreferences(course_type="computer")})
    await deliver(app, event)
    need = _need(await _case(api, as_, event.child_id), COURSE)
    assert need["preferences"] == {"course_type": "computer", "organization_id": None, "language": None}
    # Two offers are allowed at once, but only one offering teaches what the child asked for.
    assert [(r["organization_id"], r["status"]) for r in need["referrals"]] == [(str(computer), "offered")]
    assert need["gaps"] == []

    declined = await api.post(f"/api/v1/referrals/{need['referrals'][0]['id']}/decline",
                              json={"reason": "no_capacity"}, headers=as_("provider", computer))
    assert declined.status_code == 200
    need = _need(await _case(api, as_, event.child_id), COURSE)
    offered = {r["organization_id"] for r in need["referrals"] if r["status"] == "offered"}
    assert len(offered) == 2 and str(cooking) in offered  # nobody else teaches computers: the others, ranked
    assert [gap["reason"] for gap in need["gaps"]] == ["preference_unmet"]
    gaps = await _events(app, "sprpa.gap.recorded.v1")
    assert [(g["need"], g["reason"]) for g in gaps] == [(COURSE, "preference_unmet")]


async def test_a_named_provider_and_a_language_are_preferences_too(engine, as_):
    app, api, directory = engine
    first, _ = await directory.provider(languages=("id",))
    named, _ = await directory.provider(languages=("id", "jv"))
    await directory.provider(languages=("id",))
    by_name = flagged(preferences={COUNSELLING: NeedPreferences(organization_id=named)})
    await deliver(app, by_name)
    assert [r["organization_id"] for r in _need(await _case(api, as_, by_name.child_id), COUNSELLING)["referrals"]] \
        == [str(named)]
    madurese = flagged(preferences={COUNSELLING: NeedPreferences(language="mad")})
    await deliver(app, madurese)
    need = _need(await _case(api, as_, madurese.child_id), COUNSELLING)
    assert len(need["referrals"]) == 2 and [g["reason"] for g in need["gaps"]] == ["preference_unmet"]
    assert first


async def test_a_provider_gives_the_day_it_accepted_started_and_delivered(engine, as_):
    app, api, directory = engine
    org, referral = await _one_offer(engine, as_)
    app.state.clock.advance(timedelta(days=20))
    today = app.state.clock.now().date()
    url = f"/api/v1/referrals/{referral}"
    headers = as_("provider", org)

    future = await api.post(f"{url}/accept", json={"on": str(today + timedelta(days=1))}, headers=headers)
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "on"
    early = await api.post(f"{url}/accept", json={"on": str(NOW.date() - timedelta(days=1))}, headers=headers)
    assert early.status_code == 422
    assert (await api.get(url, headers=headers)).json()["status"] == "offered"

    accepted = await api.post(f"{url}/accept", json={"on": str(NOW.date() + timedelta(days=1))}, headers=headers)
    assert accepted.status_code == 200, accepted.text
    before_acceptance = await api.post(f"{url}/start", json={"on": str(NOW.date())}, headers=headers)
    assert before_acceptance.status_code == 422
    started = await api.post(f"{url}/start", json={"on": str(NOW.date() + timedelta(days=3))}, headers=headers)
    assert started.status_code == 200
    done = await api.post(f"{url}/complete", json={"outcome": "service_delivered",
                                                    "on": str(NOW.date() + timedelta(days=17))}, headers=headers)
    assert done.status_code == 200
    body = done.json()
    assert (body["accepted_on"], body["started_on"], body["ended_on"]) == (
        str(NOW.date() + timedelta(days=1)), str(NOW.date() + timedelta(days=3)), str(NOW.date() + timedelta(days=17)))
    assert body["ended_at"].startswith(str(today))  # the entry time is kept beside the day it happened
    changes = [(e["status"], e["on"]) for e in await _events(app, "sprpa.referral.status_changed.v1")]
    assert changes[-3:] == [("accepted", str(NOW.date() + timedelta(days=1))),
                            ("in_service", str(NOW.date() + timedelta(days=3))),
                            ("completed", str(NOW.date() + timedelta(days=17)))]
    assert JEMBER


async def test_without_a_day_the_change_is_dated_today(engine, as_):
    app, api, directory = engine
    org, referral = await _one_offer(engine, as_)
    accepted = await api.post(f"/api/v1/referrals/{referral}/accept", headers=as_("provider", org))
    assert accepted.status_code == 200 and accepted.json()["accepted_on"] == str(NOW.date())


async def test_consent_that_ended_on_its_date_cancels_what_is_live(engine, as_):
    """Issue 20, point 10: the registry announces the end of a consent with an end date."""
    app, api, directory = engine
    await directory.provider()
    event = flagged()
    await deliver(app, event)
    await deliver(app, ConsentWithdrawn(child_id=event.child_id, village_code=KESILIR, consent_id=event.consent_id,
                                        on=NOW.date(), reason="expired"))
    case = await _case(api, as_, event.child_id)
    assert (case["status"], case["refused_reason"]) == ("refused", "consent_expired")
    assert [(r["status"], r["reason"]) for r in _need(case, COUNSELLING)["referrals"]] == [
        ("cancelled", "consent_expired")]


async def test_the_sessions_a_service_took_are_reported_at_completion(engine, as_):
    """Issue 20, point 14: counselling is counted in sessions."""
    app, api, directory = engine
    org, referral = await _one_offer(engine, as_)
    url, headers = f"/api/v1/referrals/{referral}", as_("provider", org)
    for step in ("accept", "start"):
        assert (await api.post(f"{url}/{step}", headers=headers)).status_code == 200
    assert (await api.post(f"{url}/complete", json={"outcome": "service_delivered", "sessions": 0},
                           headers=headers)).status_code == 422
    done = await api.post(f"{url}/complete", json={"outcome": "service_delivered", "sessions": 6}, headers=headers)
    assert done.status_code == 200 and done.json()["sessions"] == 6
    assert (await _events(app, "sprpa.referral.status_changed.v1"))[-1]["sessions"] == 6


async def test_a_deadline_comes_with_the_kabupatens_time_zone(engine, as_):
    """Issue 25, point 2: the API keeps UTC instants and says in which legal time to read them."""
    app, api, directory = engine
    org = await directory.organization(regency="52.03")
    await directory.mou(org, [COUNSELLING], regency="52.03")
    await directory.offering(org, regency="52.03")
    event = flagged(village="52.03.20.2006")
    await deliver(app, event)
    response = await api.get("/api/v1/referrals", headers=as_("provider", org))
    assert [(r["time_zone"], r["deadline"][-1]) for r in response.json()["items"]] == [("WITA", "Z")]


async def test_while_a_preferred_offer_is_out_no_other_course_is_offered(engine, as_):
    """The preference is a filter while an offering that meets it may still answer: a decline of one
    preferred offer does not bring in a course the child did not ask for while the other is out."""
    app, api, directory = engine
    first, _ = await directory.provider(COURSE, course_type="computer")
    second, _ = await directory.provider(COURSE, course_type="computer")
    await directory.provider(COURSE, course_type="cooking")
    event = flagged(needs=(COURSE,), preferences={COURSE: NeedPreferences(course_type="computer")})
    await deliver(app, event)
    need = _need(await _case(api, as_, event.child_id), COURSE)
    offers = {r["organization_id"]: r["id"] for r in need["referrals"]}
    assert set(offers) == {str(first), str(second)}

    assert (await api.post(f"/api/v1/referrals/{offers[str(first)]}/decline", json={"reason": "no_capacity"},
                           headers=as_("provider", first))).status_code == 200
    need = _need(await _case(api, as_, event.child_id), COURSE)
    assert [r["organization_id"] for r in need["referrals"] if r["status"] == "offered"] == [str(second)]
    assert need["gaps"] == []

    assert (await api.post(f"/api/v1/referrals/{offers[str(second)]}/decline", json={"reason": "no_capacity"},
                           headers=as_("provider", second))).status_code == 200
    need = _need(await _case(api, as_, event.child_id), COURSE)
    assert len([r for r in need["referrals"] if r["status"] == "offered"]) == 1  # the cooking course, at last
    assert [gap["reason"] for gap in need["gaps"]] == ["preference_unmet"]
