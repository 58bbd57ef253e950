"""Issue 20, point 2: the engine follows `child.merged`. The duplicate's cases move to the surviving
child and its live referrals are announced again with the survivor's id (the registry moves the
provider's access with them); when both had an open case, the duplicate's are cancelled."""

from __future__ import annotations

import uuid

from referral.testing import COUNSELLING, KESILIR, NOW, SCHOOL, deliver, flagged, referrals_of_child
from sprpa_contracts.events import CaseStatusChanged, ChildMerged, ConsentWithdrawn
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.testing.apps import database


def _merged(survivor: uuid.UUID, duplicate: uuid.UUID) -> ChildMerged:
    return ChildMerged(child_id=survivor, merged_id=duplicate, village_code=KESILIR, merged_village_code=KESILIR)


async def test_the_duplicates_case_and_its_live_referrals_move_to_the_surviving_child(engine, as_):
    app, api, directory = engine
    org, _ = await directory.provider()
    await directory.provider()
    duplicate, survivor = flagged(), uuid.uuid4()
    await deliver(app, duplicate)
    offers = await referrals_of_child(app, duplicate.child_id)
    accepted = await api.post(f"/api/v1/referrals/{next(r['id'] for r in offers if r['organization_id'] == org)}"
                              "/accept", headers=as_("provider", org))
    assert accepted.status_code == 200, accepted.text

    await deliver(app, _merged(survivor, duplicate.child_id))
    assert await referrals_of_child(app, duplicate.child_id) == []
    moved = await referrals_of_child(app, survivor)
    assert {r["id"] for r in moved} == {r["id"] for r in offers}
    assert [r["status"] for r in moved if r["organization_id"] == org] == ["accepted"]
    case = (await api.get(f"/api/v1/cases/{survivor}", headers=as_("operator"))).json()
    assert case["timeline"][-1]["what"] == "child_merged"
    async with database(app) as db:
        announced = [Envelope.model_validate_json(row["envelope"]) for row in await db.fetch(
            "SELECT envelope::text FROM outbox WHERE type = 'sprpa.referral.status_changed.v1' ORDER BY position")]
    again = [e.data for e in announced if e.data["child_id"] == str(survivor)]
    live = {(str(r["id"]), r["status"]) for r in moved if r["status"] in ("offered", "accepted", "in_service")}
    assert live and {(d["referral_id"], d["status"]) for d in again} == live


async def test_when_both_records_had_an_open_case_the_duplicates_live_referrals_are_cancelled(engine, as_):
    app, api, directory = engine
    await directory.provider()
    await directory.provider(SCHOOL)
    survivor, duplicate = flagged(needs=(SCHOOL,)), flagged(needs=(COUNSELLING,))
    await deliver(app, survivor)
    await deliver(app, duplicate)
    kept = await referrals_of_child(app, survivor.child_id)

    await deliver(app, _merged(survivor.child_id, duplicate.child_id))
    after = await referrals_of_child(app, survivor.child_id)
    cancelled = [r for r in after if r["id"] not in {k["id"] for k in kept}]
    assert cancelled and all((r["status"], r["reason"]) == ("cancelled", "child_merged") for r in cancelled)
    assert [r["status"] for r in after if r["id"] in {k["id"] for k in kept}] == ["offered"] * len(kept)


async def test_closing_the_case_cancels_what_is_still_live(engine, as_):
    """Issue 20, point 1: the district closes the case (the family moved away): no offer stays out."""
    app, api, directory = engine
    await directory.provider()
    event = flagged()
    await deliver(app, event)
    assert [r["status"] for r in await referrals_of_child(app, event.child_id)] == ["offered"]
    await deliver(app, CaseStatusChanged(child_id=event.child_id, village_code=KESILIR, from_status="flagged",
                                         to_status="assessed"))  # any other move changes nothing here
    assert [r["status"] for r in await referrals_of_child(app, event.child_id)] == ["offered"]
    await deliver(app, CaseStatusChanged(child_id=event.child_id, village_code=KESILIR, from_status="flagged",
                                         to_status="closed"))
    assert [(r["status"], r["reason"]) for r in await referrals_of_child(app, event.child_id)] == [("cancelled",
                                                                                          "case_closed")]


async def test_a_withdrawn_consent_cancels_what_is_live_and_no_offer_follows(engine, as_):
    """Issue 20, point 10: consent withdrawn cancels live referrals (consent_withdrawn) and stops new
    offers: neither the SLA sweeper nor the district can refer the case again."""
    app, api, directory = engine
    await directory.provider()
    await directory.provider()
    event = flagged()
    await deliver(app, event)
    await deliver(app, ConsentWithdrawn(child_id=event.child_id, village_code=KESILIR, consent_id=event.consent_id,
                                        on=NOW.date()))
    assert {(r["status"], r["reason"]) for r in await referrals_of_child(app, event.child_id)} == {
        ("cancelled", "consent_withdrawn")}
    case = (await api.get(f"/api/v1/cases/{event.child_id}", headers=as_("operator"))).json()
    assert case["status"] == "refused" and case["refused_reason"] == "consent_withdrawn"
    _, offering = await directory.provider(area=(KESILIR,))
    again = await api.post(f"/api/v1/cases/{event.child_id}/needs/{case['needs'][0]['id']}/referrals",
                           json={"offering_id": str(offering)}, headers=as_("operator"))
    assert again.status_code == 409
