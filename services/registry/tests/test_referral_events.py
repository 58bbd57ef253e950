"""Referral events from the engine move the case and open the child to the provider, through real NATS."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from nats.js.errors import NotFoundError

from registry.testing import KESILIR_NEIGHBOUR
from sprpa_contracts.events import ReferralStatusChanged
from sprpa_shared.auth.principal import Role
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.events.streams import ensure_service_stream
from sprpa_shared.testing import wait_until

ORG = uuid.UUID(int=1)  # the organisation of the conftest's provider token
OTHER_ORG = uuid.UUID(int=2)
GUARDIAN = {"basis": "guardian", "given_by": "Ibu Sri", "relation": "mother", "given_on": "2026-11-20"}
ASSESSMENT = {"work": {"sector": "tobacco", "hours_per_day": 5, "hours_per_week": 30, "hazards": ["green_tobacco"]},
              "school_status": "out_of_school", "living_arrangement": "with_family",
              "root_causes": ["out_of_school"]}


@pytest.fixture
async def flagged(api, as_, register):
    child = await register()
    await api.post(f"/api/v1/children/{child['id']}/assessments", json=ASSESSMENT,
                   headers={**as_("cadre"), "If-Match": "*"})
    response = await api.post(f"/api/v1/children/{child['id']}/flag",
                              json={"root_causes": ["out_of_school"], "consent": GUARDIAN}, headers=as_("operator"))
    assert response.status_code == 201
    return child


@pytest.fixture
def publish(registry_app, nats_admin):
    """Publish a referral event the way the engine's outbox relay does (as the NATS admin: the
    registry's own user may not publish the engine's subjects)."""
    js = nats_admin

    async def send(child: dict, status: str, *, referral: uuid.UUID, org: uuid.UUID = ORG, need="education.equivalency",
                   on=date(2026, 11, 23), **extra) -> Envelope:
        await ensure_service_stream(js, "referral", replicas=1)
        event = ReferralStatusChanged(referral_id=referral, child_id=uuid.UUID(child["id"]),
                                      village_code=child["village_code"], need=need, organization_id=org,
                                      status=status, on=on, **extra)
        envelope = Envelope.wrap(event)
        await js.publish(event.subject(), envelope.to_bytes(), headers={"Nats-Msg-Id": str(envelope.id)})
        return envelope

    return send


async def status_of(api, as_, child) -> dict:
    return (await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator"))).json()


async def test_accepted_then_in_service_moves_the_case_and_schedules_follow_ups(api, as_, flagged, publish):
    referral = uuid.uuid4()
    await publish(flagged, "accepted", referral=referral)
    await wait_until(lambda: _status_is(api, as_, flagged, "referred"), what="case referred")
    await publish(flagged, "in_service", referral=referral, on=date(2026, 11, 25))
    child = await wait_until(lambda: _status_is(api, as_, flagged, "in_remediation"), what="in remediation")
    assert child["next_visit_due"] == "2027-02-25", "first follow-up 3 months after the service started"
    history = (await api.get(f"/api/v1/children/{flagged['id']}/history", headers=as_("operator"))).json()["items"]
    assert [(h["actor_role"], h["to_status"]) for h in history[-2:]] == [("integration", "referred"),
                                                                      ("integration", "in_remediation")]


async def test_all_needs_settled_makes_the_follow_up_visit_due(api, as_, flagged, publish):
    referral = uuid.uuid4()
    await publish(flagged, "in_service", referral=referral, on=date(2026, 11, 1))
    await publish(flagged, "completed", referral=referral, outcome="service_delivered", on=date(2026, 11, 20),
                  all_needs_settled=True)
    child = await wait_until(lambda: _due_is(api, as_, flagged, "2026-11-20"), what="follow-up due")
    assert child["status"] == "in_remediation"


async def test_provider_sees_the_minimum_only_while_it_holds_the_referral(api, as_, issuer, flagged, publish,
                                                                          registry_app):
    referral = uuid.uuid4()
    url = f"/api/v1/children/{flagged['id']}"
    provider = as_("provider")
    assert (await api.get(url, headers=provider)).status_code == 404
    await publish(flagged, "offered", referral=referral)
    await wait_until(lambda: _consumed(registry_app, 1), what="offer consumed")
    assert (await api.get(url, headers=provider)).status_code == 404, "an offer alone opens nothing"
    await publish(flagged, "accepted", referral=referral)
    seen = await wait_until(lambda: _provider_sees(api, url, provider), what="provider access opened")
    assert set(seen) == {"id", "full_name", "sex", "age", "village_code", "school_status", "living_arrangement",
                         "routes_to_family"}
    assert seen["routes_to_family"] == [], "no desa contact named, and this guardian did not agree to share"
    assert "nik" not in seen and "work" not in seen and "household_id" not in seen
    other = issuer.headers(Role.PROVIDER_STAFF, org=OTHER_ORG)
    assert (await api.get(url, headers=other)).status_code == 404, "another organisation sees nothing"
    for path in ("/visits", "/history", "/duplicates"):
        assert (await api.get(url + path, headers=provider)).status_code == 404

    await publish(flagged, "cancelled", referral=referral, on=date(2026, 11, 24))
    await wait_until(lambda: _provider_blind(api, url, provider), what="provider access closed")


async def test_a_redelivered_event_has_no_second_effect(api, as_, flagged, publish, registry_app, db, nats_admin):
    referral = uuid.uuid4()
    envelope = await publish(flagged, "accepted", referral=referral)
    await wait_until(lambda: _status_is(api, as_, flagged, "referred"))
    js = nats_admin
    message = await js.get_msg("REFERRAL", 1)
    await js.publish(message.subject, message.data, headers={"Nats-Msg-Id": "again-after-the-window"})

    await wait_until(lambda: _consumed(registry_app, 2), what="both copies consumed")
    moves = await db.fetchval("SELECT count(*) FROM case_history WHERE child_id = $1 AND to_status = 'referred'",
                              uuid.UUID(flagged["id"]))
    assert moves == 1
    assert await db.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", envelope.id) == 1


async def test_events_for_a_neighbouring_desa_child_do_not_open_other_children(api, as_, register, flagged, publish):
    neighbour = await register("cadre", KESILIR_NEIGHBOUR, village_code=KESILIR_NEIGHBOUR, nik=None)
    await publish(flagged, "accepted", referral=uuid.uuid4())
    await wait_until(lambda: _provider_sees(api, f"/api/v1/children/{flagged['id']}", as_("provider")))
    assert (await api.get(f"/api/v1/children/{neighbour['id']}", headers=as_("provider"))).status_code == 404


async def _consumed(registry_app, sequence: int) -> bool:
    try:
        info = await registry_app.state.bus.js.consumer_info("REFERRAL", "registry-referrals")
    except NotFoundError:
        return False  # the consumer binds once the stream exists
    return info.ack_floor.stream_seq >= sequence


async def _status_is(api, as_, child, status):
    body = await status_of(api, as_, child)
    return body if body["status"] == status else None


async def _due_is(api, as_, child, due):
    body = await status_of(api, as_, child)
    return body if body["next_visit_due"] == due else None


async def test_the_provider_who_accepted_sees_the_routes_to_the_family_the_district_and_guardian_allow(
        api, as_, register, publish):
    """Issue 24, point 4: after acceptance the provider sees the desa's cadre or facilitator the
    district named, and the guardian's name and phone only when the consent covers sharing them."""
    contact = {"function": "facilitator", "name": "Bu Lilik", "phone": "0812-3456-7890"}
    url = "/api/v1/villages/35.09.11.2007/contact"
    for who, place in (("cadre", KESILIR_NEIGHBOUR), ("operator", "52.03"), ("provider", None)):
        refused = await api.put(url, json=contact, headers=as_(who, place))
        assert refused.status_code == 403, (who, refused.text)
    bad = await api.put(url, json={**contact, "phone": "call me"}, headers=as_("operator"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "phone"
    named = await api.put(url, json=contact, headers=as_("operator"))
    assert named.status_code == 200, named.text
    assert (await api.get(url, headers=as_("cadre"))).json()["name"] == "Bu Lilik"
    assert (await api.get(url, headers=as_("cadre", KESILIR_NEIGHBOUR))).status_code == 404

    child = await register(nik=None)
    await api.post(f"/api/v1/children/{child['id']}/assessments", json=ASSESSMENT,
                   headers={**as_("cadre"), "If-Match": "*"})
    unshareable = {**GUARDIAN, "share_contact_with_provider": True}
    refused = await api.post(f"/api/v1/children/{child['id']}/flag", headers=as_("operator"),
                             json={"root_causes": ["out_of_school"], "consent": unshareable})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "consent.guardian_phone"
    flag = await api.post(f"/api/v1/children/{child['id']}/flag", headers=as_("operator"), json={
        "root_causes": ["out_of_school"], "consent": {**unshareable, "guardian_phone": "+62 813 1111 2222"}})
    assert flag.status_code == 201, flag.text
    referral = uuid.uuid4()
    await publish(child, "accepted", referral=referral)
    seen = await wait_until(lambda: _provider_sees(api, f"/api/v1/children/{child['id']}", as_("provider")),
                            what="provider access opened")
    assert seen["routes_to_family"] == [
        {"route": "facilitator", "name": "Bu Lilik", "phone": "0812-3456-7890", "relation": None},
        {"route": "guardian", "name": "Ibu Sri", "phone": "+62 813 1111 2222", "relation": "mother"}]


async def _provider_sees(api, url, headers):
    response = await api.get(url, headers=headers)
    return response.json() if response.status_code == 200 else None


async def _provider_blind(api, url, headers):
    return (await api.get(url, headers=headers)).status_code == 404


async def test_a_referral_announced_again_for_the_surviving_child_moves_the_providers_access(
        api, as_, register, flagged, publish):
    """Issue 20, point 2: after a merge the engine announces the live referral with the survivor's id;
    the provider then reads the survivor, and no longer the duplicate."""
    referral = uuid.uuid4()
    await publish(flagged, "accepted", referral=referral)
    await wait_until(lambda: _provider_sees(api, f"/api/v1/children/{flagged['id']}", as_("provider")))
    survivor = await register("cadre", KESILIR_NEIGHBOUR, village_code=KESILIR_NEIGHBOUR, nik=None)
    await publish(survivor, "accepted", referral=referral, on=date(2026, 11, 24))
    await wait_until(lambda: _provider_sees(api, f"/api/v1/children/{survivor['id']}", as_("provider")),
                     what="the provider's access moved to the survivor")
    assert (await api.get(f"/api/v1/children/{flagged['id']}", headers=as_("provider"))).status_code == 404


async def test_an_at_risk_child_kept_in_school_by_school_support_is_prevented(api, as_, register, publish):
    """Issue 20, point 6: no `prevention.*` service is needed; school support delivered to an at-risk
    child who is in school and does only light work a child may do counts as prevented."""
    child = await register(work=None, school_status="in_school", mapping_categories=["at_risk"], nik=None)
    assessed = await api.post(f"/api/v1/children/{child['id']}/assessments",
                              headers={**as_("cadre"), "If-Match": "*"}, json={
        "work": None, "school_status": "in_school", "living_arrangement": "with_family",
        "root_causes": ["poverty", "at_risk_of_work"]})
    assert assessed.status_code == 201 and assessed.json()["classification"]["result"] == "at_risk"
    flag = await api.post(f"/api/v1/children/{child['id']}/flag", headers=as_("operator"), json={
        "root_causes": [], "extra_needs": ["education.school_support"], "consent": GUARDIAN})
    assert flag.status_code == 201, flag.text
    referral = uuid.uuid4()
    await publish(child, "in_service", referral=referral, need="education.school_support", on=date(2026, 11, 20))
    await publish(child, "completed", referral=referral, need="education.school_support",
                  outcome="service_delivered", on=date(2026, 11, 22), all_needs_settled=True)
    await wait_until(lambda: _due_is(api, as_, child, "2026-11-22"), what="the delivery reached the registry")

    visit = await api.post(f"/api/v1/children/{child['id']}/visits", headers={**as_("cadre"), "If-Match": "*"}, json={
        "visited_on": "2026-11-23", "working": True, "attendance": "school", "attending_since": "2026-07-15",
        "work": {"sector": "domestic", "hours_per_day": 1, "hours_per_week": 6, "parental_consent": True}})
    assert visit.status_code == 201, visit.text
    assert visit.json()["classification"]["result"] == "permitted_light_work"
    assert visit.json()["outcome"] == "prevented"
    assert (await status_of(api, as_, child))["status"] == "prevented"
