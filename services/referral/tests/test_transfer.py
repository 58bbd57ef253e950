"""Issue 24, point 2: the engine follows `child.transferred`. Live referrals under the old
kabupaten's MOUs are cancelled, the open needs are offered under the new kabupaten's MOUs, the
served ones stay served, and the old kabupaten keeps its own referrals to read and count."""

from __future__ import annotations

import uuid

from referral.testing import COUNSELLING, KESILIR, SCHOOL, deliver, flagged, referrals_of_child
from sprpa_contracts.events import ChildTransferred
from sprpa_shared.testing.apps import database

LOMBOK_TIMUR, PANDAN_WANGI = "52.03", "52.03.20.2006"


async def test_a_transferred_childs_open_needs_are_offered_under_the_new_kabupatens_mous(engine, as_):
    app, api, directory = engine
    jember_counsellor, _ = await directory.provider()
    jember_school, _ = await directory.provider(SCHOOL)
    lombok_counsellor = await directory.organization(regency=LOMBOK_TIMUR)
    await directory.mou(lombok_counsellor, [COUNSELLING], regency=LOMBOK_TIMUR)
    await directory.offering(lombok_counsellor, COUNSELLING, regency=LOMBOK_TIMUR)
    lombok_school = await directory.organization(regency=LOMBOK_TIMUR)
    await directory.mou(lombok_school, [SCHOOL], regency=LOMBOK_TIMUR)
    await directory.offering(lombok_school, SCHOOL, regency=LOMBOK_TIMUR)

    event = flagged(needs=(COUNSELLING, SCHOOL))
    await deliver(app, event)
    before = {r["organization_id"]: r for r in await referrals_of_child(app, event.child_id)}
    counselling, school = before[jember_counsellor], before[jember_school]
    provider = as_("provider", jember_counsellor)
    assert (await api.post(f"/api/v1/referrals/{counselling['id']}/accept", headers=provider)).status_code == 200
    schooled = as_("provider", jember_school)
    for action, body in (("accept", None), ("start", None), ("complete", {"outcome": "service_delivered"})):
        done = await api.post(f"/api/v1/referrals/{school['id']}/{action}", headers=schooled, json=body)
        assert done.status_code == 200, (action, done.text)

    moved = ChildTransferred(child_id=event.child_id, transfer_id=uuid.uuid4(), village_code=PANDAN_WANGI,
                             from_village_code=KESILIR)
    await deliver(app, moved)
    after = await referrals_of_child(app, event.child_id)
    by_org = {r["organization_id"]: r for r in after}
    assert (by_org[jember_counsellor]["status"], by_org[jember_counsellor]["reason"]) == ("cancelled",
                                                                                        "child_transferred")
    assert by_org[jember_counsellor]["village_code"] == KESILIR, "the old kabupaten's referral keeps its place"
    assert by_org[jember_school]["status"] == "completed", "a served need stays served"
    new = by_org[lombok_counsellor]
    assert (new["status"], new["village_code"], new["regency_code"]) == ("offered", PANDAN_WANGI, LOMBOK_TIMUR)
    assert lombok_school not in by_org, "the school need was served: nothing to offer again"
    assert len(after) == 3

    case = await api.get(f"/api/v1/cases/{event.child_id}", headers=as_("operator", LOMBOK_TIMUR))
    assert case.status_code == 200 and case.json()["village_code"] == PANDAN_WANGI
    assert "child_transferred" in [line["what"] for line in case.json()["timeline"]]
    assert (await api.get(f"/api/v1/cases/{event.child_id}", headers=as_("operator"))).status_code == 404
    old = await api.get(f"/api/v1/referrals/{counselling['id']}", headers=as_("operator"))
    assert old.status_code == 200 and old.json()["status"] == "cancelled", "Jember still reads what it did"
    inbox = (await api.get("/api/v1/referrals?status=offered", headers=as_("provider", lombok_counsellor))).json()
    assert [r["id"] for r in inbox["items"]] == [str(new["id"])]

    await deliver(app, moved)  # the same move again, in a new envelope: nothing changes
    assert [(r["id"], r["status"]) for r in await referrals_of_child(app, event.child_id)] == [
        (r["id"], r["status"]) for r in after]


async def test_with_no_provider_in_the_new_kabupaten_the_need_goes_to_its_gap_not_the_old_ones(engine, as_):
    app, api, directory = engine
    await directory.provider()
    event = flagged()
    await deliver(app, event)
    await deliver(app, ChildTransferred(child_id=event.child_id, transfer_id=uuid.uuid4(),
                                        village_code=PANDAN_WANGI, from_village_code=KESILIR))
    statuses = [(r["status"], r["reason"]) for r in await referrals_of_child(app, event.child_id)]
    assert statuses == [("cancelled", "child_transferred")]
    async with database(app) as db:
        gaps = await db.fetch("SELECT regency_code, reason FROM gaps WHERE child_id = $1", event.child_id)
        need = await db.fetchval("SELECT status FROM needs WHERE case_id = (SELECT id FROM cases WHERE child_id = $1)",
                                 event.child_id)
    assert [(g["regency_code"], g["reason"]) for g in gaps] == [(LOMBOK_TIMUR, "no_candidates")]
    assert need == "unmet"
