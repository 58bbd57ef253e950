"""Fan-out of a flagged case: parallel offers, idempotence, consent, first acceptance wins,
decline and expiry moving on to the next candidate, backbone and gaps, capacity."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from referral.fanout.sweeper import sweep_once
from referral.testing import COUNSELLING, JEMBER, KESILIR, NOW, SCHOOL, WULUHAN, deliver, flagged
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.testing.apps import database


async def offers(app, child_id, status="offered") -> list:
    async with database(app) as db:
        return await db.fetch("SELECT * FROM referrals WHERE child_id = $1 AND status = $2 ORDER BY offered_at, id",
                              child_id, status)


async def outbox_types(app) -> list[str]:
    async with database(app) as db:
        return [row["type"] for row in await db.fetch("SELECT type FROM outbox ORDER BY position")]


async def case_of(api, as_, child_id, who="operator") -> dict:
    response = await api.get(f"/api/v1/cases/{child_id}", headers=as_(who))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_flag_fans_each_need_out_to_the_best_organisations_in_parallel(engine, as_):
    app, api, directory = engine
    near, near_offering = await directory.provider(area=(KESILIR,))
    mid, mid_offering = await directory.provider(area=(WULUHAN,))
    wide, _ = await directory.provider()
    await directory.offering(near, area=(WULUHAN,))  # a second offering of `near`: one offer per organisation
    school, school_offering = await directory.provider(SCHOOL)
    event = flagged(needs=(COUNSELLING, SCHOOL))
    await deliver(app, event)

    out = await offers(app, event.child_id)
    assert [(r["category"], r["organization_id"], r["area"]) for r in out if r["category"] == COUNSELLING] == [
        (COUNSELLING, near, "desa"), (COUNSELLING, mid, "kecamatan")]
    assert [(r["organization_id"], r["offering_id"]) for r in out if r["category"] == SCHOOL] == [
        (school, school_offering)]
    assert {r["offering_id"] for r in out} >= {near_offering, mid_offering}
    assert all(r["deadline"] == r["offered_at"] + timedelta(hours=48) for r in out)  # Monday: no weekend inside
    assert (await outbox_types(app)).count("sprpa.referral.status_changed.v1") == 3
    case = await case_of(api, as_, event.child_id)
    assert case["status"] == "open" and [n["status"] for n in case["needs"]] == ["matching", "matching"]
    assert [line["what"] for line in case["timeline"]] == ["flag_received", "offered", "offered", "offered"]
    assert wide not in {r["organization_id"] for r in out}


async def test_a_redelivered_or_republished_flag_creates_nothing_twice(engine):
    app, _, directory = engine
    await directory.provider()
    event = flagged()
    envelope = await deliver(app, event)
    assert await app.state.bus.deliver(envelope) is False  # the same event again: the inbox knows it
    await deliver(app, event)  # the same flag in a new envelope (re-published): the case knows it
    async with database(app) as db:
        assert await db.fetchval("SELECT count(*) FROM cases") == 1
        assert await db.fetchval("SELECT count(*) FROM referrals") == 1
        assert await db.fetchval("SELECT count(*) FROM timeline") == 2  # flag_received, offered
    assert (await outbox_types(app)).count("sprpa.referral.status_changed.v1") == 1, "nothing announced twice"


async def test_a_case_without_consent_to_share_is_refused_with_its_reason(engine, as_):
    app, api, directory = engine
    await directory.provider()
    without = flagged(consent=False)
    narrow = flagged(scope=("visit_only",))
    await deliver(app, without)
    await deliver(app, narrow)
    assert await offers(app, without.child_id) == [] and await offers(app, narrow.child_id) == []
    assert (await case_of(api, as_, without.child_id))["refused_reason"] == "no_consent"
    refused = await case_of(api, as_, narrow.child_id)
    assert (refused["status"], refused["refused_reason"]) == ("refused", "consent_scope")
    assert (await outbox_types(app)).count("sprpa.case.refused.v1") == 2


async def test_two_providers_accepting_at_the_same_moment_exactly_one_wins(engine, as_):
    app, api, directory = engine
    first, _ = await directory.provider()
    second, _ = await directory.provider()
    event = flagged()
    await deliver(app, event)
    out = {r["organization_id"]: r["id"] for r in await offers(app, event.child_id)}
    assert set(out) == {first, second}

    answers = await asyncio.gather(*(api.post(f"/api/v1/referrals/{out[org]}/accept", headers=as_("provider", org))
                                     for org in (first, second)))
    assert sorted(a.status_code for a in answers) == [200, 409]
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["detail"].startswith("another provider accepted this need first")
    assert loser["type"].endswith("conflict") and loser["current_status"] == "withdrawn"
    assert len(await offers(app, event.child_id, "accepted")) == 1
    assert len(await offers(app, event.child_id, "withdrawn")) == 1
    case = await case_of(api, as_, event.child_id)
    assert case["needs"][0]["status"] == "accepted"


async def test_a_decline_offers_the_need_to_the_next_candidate(engine, as_):
    app, api, directory = engine
    orgs = [(await directory.provider(area=area))[0] for area in ((KESILIR,), (WULUHAN,), ())]
    await api.put(f"/api/v1/settings/{JEMBER}", json={"parallel_offers": 1, "sla_hours": 24, "weekends_count": True},
                  headers=as_("operator") | {"If-Match": '"0"'})
    event = flagged()
    await deliver(app, event)
    [offer] = await offers(app, event.child_id)
    assert offer["organization_id"] == orgs[0]

    vague = await api.post(f"/api/v1/referrals/{offer['id']}/decline", json={"reason": "other"},
                           headers=as_("provider", orgs[0]))
    assert vague.status_code == 422 and "text" in vague.text
    declined = await api.post(f"/api/v1/referrals/{offer['id']}/decline", json={"reason": "cannot_reach_family"},
                              headers=as_("provider", orgs[0]))
    assert declined.status_code == 200 and declined.json()["reason"] == "cannot_reach_family"
    [next_offer] = await offers(app, event.child_id)
    assert next_offer["organization_id"] == orgs[1]
    assert next_offer["deadline"] == next_offer["offered_at"] + timedelta(hours=24)


async def test_an_unanswered_offer_expires_on_the_clock_and_the_next_candidate_is_offered(engine):
    app, _, directory = engine
    first, _ = await directory.provider(area=(KESILIR,))
    second, _ = await directory.provider(area=(WULUHAN,))
    third, _ = await directory.provider()
    event = flagged()
    await deliver(app, event)
    assert {r["organization_id"] for r in await offers(app, event.child_id)} == {first, second}

    app.state.clock.advance(timedelta(hours=47, minutes=59))
    assert await sweep_once(app) == 0
    app.state.clock.advance(timedelta(minutes=1))
    assert await sweep_once(app) == 2
    assert {r["organization_id"] for r in await offers(app, event.child_id, "expired")} == {first, second}
    assert [r["organization_id"] for r in await offers(app, event.child_id)] == [third]
    assert await sweep_once(app) == 0  # nothing is expired twice


async def test_two_sweepers_at_once_expire_each_offer_once(engine):
    app, _, directory = engine
    await directory.provider()
    events = [flagged() for _ in range(30)]
    for event in events:
        await deliver(app, event)
    app.state.clock.advance(timedelta(days=3))
    counts = await asyncio.gather(sweep_once(app), sweep_once(app))
    assert sum(counts) == 30
    async with database(app) as db:
        assert await db.fetchval("SELECT count(*) FROM referrals WHERE status = 'expired'") == 30


async def test_when_every_candidate_said_no_the_backbone_takes_the_need_and_a_gap_is_recorded(engine, as_):
    app, api, directory = engine
    only, _ = await directory.provider()
    backbone = await directory.organization(backbone=True)
    await directory.mou(backbone, [SCHOOL])  # an MOU with the kabupaten, whatever it covers
    event = flagged()
    await deliver(app, event)
    [offer] = await offers(app, event.child_id)
    await api.post(f"/api/v1/referrals/{offer['id']}/decline", json={"reason": "no_capacity"},
                   headers=as_("provider", only))

    [held] = await offers(app, event.child_id)
    assert (held["organization_id"], held["backbone"], held["offering_id"]) == (backbone, True, None)
    gaps = (await api.get("/api/v1/gaps", headers=as_("operator"))).json()["items"]
    assert [(g["child_id"], g["category"], g["reason"], g["backbone_organization_id"]) for g in gaps] == [
        (str(event.child_id), COUNSELLING, "exhausted", str(backbone))]
    assert "sprpa.gap.recorded.v1" in await outbox_types(app)

    await api.post(f"/api/v1/referrals/{held['id']}/decline", json={"reason": "no_capacity"},
                   headers=as_("provider", backbone))
    case = await case_of(api, as_, event.child_id)
    assert case["needs"][0]["status"] == "unmet" and case["status"] == "settled"


async def test_with_no_offering_in_the_kabupaten_the_backbones_offer_follows_the_districts_rules(engine, as_):
    """The rules ride on the candidates' read; with no offering to read they are read alone."""
    app, api, directory = engine
    await api.put(f"/api/v1/settings/{JEMBER}", json={"parallel_offers": 1, "sla_hours": 24, "weekends_count": True},
                  headers=as_("operator") | {"If-Match": '"0"'})
    backbone = await directory.organization(backbone=True)
    await directory.mou(backbone, [SCHOOL])
    event = flagged()
    await deliver(app, event)
    [held] = await offers(app, event.child_id)
    assert (held["organization_id"], held["backbone"]) == (backbone, True)
    assert held["deadline"] == held["offered_at"] + timedelta(hours=24), "the district's 24 hours, not the default"


async def test_with_no_candidate_and_no_backbone_the_need_is_unmet_and_a_gap(engine, as_):
    app, api, directory = engine
    elsewhere, _ = await directory.provider(area=("35.09.01",))  # another kecamatan only
    event = flagged(needs=(COUNSELLING,))
    await deliver(app, event)
    assert await offers(app, event.child_id) == []
    case = await case_of(api, as_, event.child_id)
    assert case["needs"][0]["status"] == "unmet"
    assert case["needs"][0]["gap"]["reason"] == "no_candidates"
    assert case["needs"][0]["gap"]["backbone_organization_id"] is None


async def test_a_backbone_without_an_active_mou_with_the_kabupaten_is_offered_nothing(engine, as_):
    """Backbone offers need the backbone's own MOU with the kabupaten, in force on the day (issue 19)."""
    app, api, directory = engine
    expired = await directory.organization(backbone=True)
    await directory.mou(expired, [COUNSELLING], valid_until=NOW.date() - timedelta(days=1))
    await directory.mou(expired, [COUNSELLING], regency="52.03")  # in force, but with another kabupaten
    event = flagged(needs=(COUNSELLING,))
    await deliver(app, event)
    assert await offers(app, event.child_id) == []
    case = await case_of(api, as_, event.child_id)
    assert case["needs"][0]["status"] == "unmet"
    assert case["needs"][0]["gap"]["backbone_organization_id"] is None


async def test_capacity_is_held_while_accepted_or_in_service_and_released_after(engine, as_):
    app, api, directory = engine
    await api.put(f"/api/v1/settings/{JEMBER}", json={"parallel_offers": 1, "sla_hours": 48, "weekends_count": False},
                  headers=as_("operator") | {"If-Match": '"0"'})
    small, small_offering = await directory.provider(area=(KESILIR,), capacity=1)
    big, _ = await directory.provider()
    first, second, third = flagged(), flagged(), flagged()

    await deliver(app, first)
    [offer] = await offers(app, first.child_id)
    assert offer["organization_id"] == small
    provider = as_("provider", small)
    assert (await api.post(f"/api/v1/referrals/{offer['id']}/accept", headers=provider)).status_code == 200

    await deliver(app, second)  # the small offering is full: the next one gets it
    assert [r["organization_id"] for r in await offers(app, second.child_id)] == [big]

    assert (await api.post(f"/api/v1/referrals/{offer['id']}/start", headers=provider)).status_code == 200
    done = await api.post(f"/api/v1/referrals/{offer['id']}/complete", json={"outcome": "service_delivered"},
                          headers=provider)
    assert done.status_code == 200 and done.json()["outcome"] == "service_delivered"
    await deliver(app, third)  # released: the closest offering again
    assert [r["offering_id"] for r in await offers(app, third.child_id)] == [small_offering]


async def test_accepting_into_a_full_service_is_refused(engine, as_):
    app, api, directory = engine
    org, _ = await directory.provider(capacity=1)
    one, two = flagged(), flagged()
    await deliver(app, one)
    await deliver(app, two)  # both offered while the place is free
    [a], [b] = await offers(app, one.child_id), await offers(app, two.child_id)
    assert (await api.post(f"/api/v1/referrals/{a['id']}/accept", headers=as_("provider", org))).status_code == 200
    full = await api.post(f"/api/v1/referrals/{b['id']}/accept", headers=as_("provider", org))
    assert full.status_code == 409 and "no free place" in full.json()["detail"]
    assert (await offers(app, two.child_id))[0]["id"] == b["id"]  # still offered: nothing changed


async def test_completing_every_need_settles_the_case_and_says_so_in_the_last_event(engine, as_):
    app, api, directory = engine
    org, _ = await directory.provider()
    event = flagged()
    await deliver(app, event)
    [offer] = await offers(app, event.child_id)
    provider = as_("provider", org)
    for action in ("accept", "start"):
        assert (await api.post(f"/api/v1/referrals/{offer['id']}/{action}", headers=provider)).status_code == 200
    await api.post(f"/api/v1/referrals/{offer['id']}/complete", json={"outcome": "service_delivered"},
                   headers=provider)
    async with database(app) as db:
        last = await db.fetchrow("SELECT envelope FROM outbox ORDER BY position DESC LIMIT 1")
    data = Envelope.model_validate_json(last["envelope"]).data
    assert data["status"] == "completed" and data["all_needs_settled"] is True
    case = await case_of(api, as_, event.child_id)
    assert case["status"] == "settled" and case["settled_at"] is not None


async def test_weekends_do_not_count_toward_the_sla_unless_the_kabupaten_says_so(engine):
    app, _, directory = engine
    await directory.provider()
    app.state.clock.advance(timedelta(days=4, hours=10))  # Friday 20:00 WIB
    event = flagged()
    await deliver(app, event)
    [offer] = await offers(app, event.child_id)
    assert offer["deadline"] == offer["offered_at"] + timedelta(days=2, hours=48)  # Tuesday 20:00 WIB


async def test_the_engine_never_offers_under_another_kabupatens_mou(engine):
    app, _, directory = engine
    org = await directory.organization()
    await directory.mou(org, [COUNSELLING], regency="52.03")
    await directory.offering(org)
    event = flagged()
    await deliver(app, event)
    assert await offers(app, event.child_id) == []
    assert uuid.UUID(int=0) != org


async def test_an_offer_under_an_mou_that_lapses_cannot_be_accepted_and_goes_to_the_next_candidate(engine, as_):
    """Issue 20, point 3: an offer made under an MOU that has since expired could still be accepted,
    and live offers stayed. The acceptance re-checks the MOU, and the sweeper withdraws the offers of
    an organisation whose MOU lapsed (by date here, on the test clock) and offers the next one."""
    app, api, directory = engine
    await api.put(f"/api/v1/settings/{JEMBER}", json={"parallel_offers": 1, "sla_hours": 48, "weekends_count": False},
                  headers=as_("operator") | {"If-Match": '"0"'})
    lapsing = await directory.organization()
    await directory.mou(lapsing, [COUNSELLING], valid_until=NOW.date())  # its last day is today
    await directory.offering(lapsing, area=(KESILIR,))  # the nearest: offered first
    other, _ = await directory.provider()
    event = flagged()
    await deliver(app, event)
    [offer] = await offers(app, event.child_id)
    assert offer["organization_id"] == lapsing

    app.state.clock.advance(timedelta(days=1))
    refused = await api.post(f"/api/v1/referrals/{offer['id']}/accept", headers=as_("provider", lapsing))
    assert refused.status_code == 409 and "MOU" in refused.json()["detail"], refused.text

    await sweep_once(app)
    [withdrawn] = await offers(app, event.child_id, status="withdrawn")
    assert withdrawn["id"] == offer["id"] and withdrawn["reason"] == "mou_lapsed"
    [next_offer] = await offers(app, event.child_id)
    assert next_offer["organization_id"] == other
    accepted = await api.post(f"/api/v1/referrals/{next_offer['id']}/accept", headers=as_("provider", other))
    assert accepted.status_code == 200, accepted.text
