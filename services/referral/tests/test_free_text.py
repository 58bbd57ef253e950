"""Free text in the engine (issue 19, point 11): a referral's reason text and the timeline's notes
are what people type, so they may name the child or the family. They are encrypted at rest like
the registry's notes, given with everything else in the child's export, and cleared on erasure."""

from __future__ import annotations

from datetime import date

from referral.testing import deliver
from services.referral.tests.test_referral_api import offered
from sprpa_contracts.events import ChildErased
from sprpa_shared.testing.apps import database

NOTE = "Ibu Sri bilang Budi pindah ke rumah neneknya di Dusun Krajan"


async def _cancelled_with_a_note(app, api, directory, as_):
    org, referral, event = await offered(app, directory)
    path = f"/api/v1/referrals/{referral['id']}"
    await api.post(f"{path}/accept", headers=as_("provider", org))
    cancelled = await api.post(f"{path}/cancel", json={"reason": "other", "text": NOTE}, headers=as_("operator"))
    assert cancelled.status_code == 200, cancelled.text
    return referral, event


async def test_reason_texts_and_timeline_notes_are_encrypted_at_rest_and_read_back(engine, as_):
    app, api, directory = engine
    referral, event = await _cancelled_with_a_note(app, api, directory, as_)
    async with database(app) as db:
        stored = [await db.fetchval("SELECT reason_text FROM referrals WHERE id = $1", referral["id"]),
                  *[row["note"] for row in await db.fetch("SELECT note FROM timeline WHERE note IS NOT NULL")]]
    assert stored and all(value.startswith("p1.") and "Budi" not in value for value in stored), stored
    case = (await api.get(f"/api/v1/cases/{event.child_id}", headers=as_("operator"))).json()
    assert case["timeline"][-1]["note"] == NOTE


async def test_the_childs_export_holds_the_engines_free_text_for_the_district_only(engine, as_):
    app, api, directory = engine
    referral, event = await _cancelled_with_a_note(app, api, directory, as_)
    exported = await api.get(f"/api/v1/cases/{event.child_id}/export", headers=as_("operator"))
    assert exported.status_code == 200, exported.text
    body = exported.json()
    assert body["child_id"] == str(event.child_id)
    assert [r["reason_text"] for r in body["referrals"] if r["id"] == str(referral["id"])] == [NOTE]
    assert NOTE in [entry["note"] for entry in body["timeline"]]
    assert (await api.get(f"/api/v1/cases/{event.child_id}/export", headers=as_("operator", "52.03"))).status_code \
        == 404
    async with database(app) as db:
        assert await db.fetchval("SELECT count(*) FROM audit_log WHERE child_id = $1 AND action = "
                                 "'GET /api/v1/cases/{child_id}/export' AND outcome = 'allowed'", event.child_id) == 1


async def test_erasure_clears_the_engines_free_text(engine, as_):
    app, api, directory = engine
    referral, event = await _cancelled_with_a_note(app, api, directory, as_)
    await deliver(app, ChildErased(child_id=event.child_id, village_code=event.village_code,
                                   basis="data_subject_request", on=date(2026, 11, 23)))
    async with database(app) as db:
        assert await db.fetchval("SELECT reason_text FROM referrals WHERE id = $1", referral["id"]) is None
        assert await db.fetchval("SELECT count(*) FROM timeline t JOIN cases c ON c.id = t.case_id "
                                 "WHERE c.child_id = $1 AND t.note IS NOT NULL", event.child_id) == 0
