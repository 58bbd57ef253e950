"""A child's case moves to another kabupaten when the family migrates: proposed by the child's
kabupaten, accepted or declined by the receiving one (issue 24, point 2)."""

from __future__ import annotations

import json
import uuid

from registry.testing import KESILIR, KESILIR_NEIGHBOUR, PANDAN_WANGI

LOMBOK_TIMUR, JEMBER = "52.03", "35.09"


async def _in_lombok(register, api, as_, **overrides) -> dict:
    """A child registered in Lombok Timur whose family went to work on Jember's plantations."""
    return await register("operator", LOMBOK_TIMUR, **{"village_code": PANDAN_WANGI, "nik": "5203204508120001",
                                                        **overrides})


async def _propose(api, as_, child_id: str, **body) -> dict:
    response = await api.post(f"/api/v1/children/{child_id}/transfers", headers=as_("operator", LOMBOK_TIMUR),
                              json={"to_regency_code": JEMBER, "reason": "family_moved", **body})
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_accepted_transfer_moves_the_child_into_the_receiving_kabupatens_scope(api, as_, register, db):
    child = await _in_lombok(register, api, as_)
    visit = await api.post(f"/api/v1/children/{child['id']}/visits",
                           headers={**as_("operator", LOMBOK_TIMUR), "If-Match": "*"},
                           json={"visited_on": "2026-11-23", "working": False, "attendance": "school"})
    assert visit.status_code == 201, visit.text
    transfer = await _propose(api, as_, child["id"], to_village_code=KESILIR)
    assert transfer["status"] == "proposed" and transfer["from_regency_code"] == LOMBOK_TIMUR

    incoming = (await api.get("/api/v1/transfers?direction=incoming&status=proposed",
                              headers=as_("operator", JEMBER))).json()["items"]
    assert [t["id"] for t in incoming] == [transfer["id"]]
    summary = incoming[0]["child"]
    assert set(summary) == {"sex", "age", "classification", "case_status"}, "codes only: no name before accepting"
    assert summary["sex"] == "female" and summary["age"] == 14
    assert "full_name" not in str(incoming)
    outgoing = (await api.get("/api/v1/transfers?direction=outgoing",
                              headers=as_("operator", LOMBOK_TIMUR))).json()["items"]
    assert [t["id"] for t in outgoing] == [transfer["id"]]
    assert (await api.get("/api/v1/transfers?direction=incoming", headers=as_("operator", LOMBOK_TIMUR))
            ).json()["items"] == []
    assert (await api.get(f"/api/v1/transfers/{transfer['id']}", headers=as_("operator", "33.01"))).status_code == 404
    assert (await api.get("/api/v1/transfers", headers=as_("cadre"))).status_code == 403

    url = f"/api/v1/transfers/{transfer['id']}/accept"
    for somebody_else, refused in ((as_("operator", LOMBOK_TIMUR), 403), (as_("cadre", KESILIR), 404)):
        assert (await api.post(url, json={}, headers=somebody_else)).status_code == refused
    assert (await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator", JEMBER))).status_code == 404

    accepted = await api.post(url, json={"village_code": KESILIR_NEIGHBOUR}, headers=as_("operator", JEMBER))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["to_village_code"] == KESILIR_NEIGHBOUR
    again = await api.post(url, json={"village_code": KESILIR_NEIGHBOUR}, headers=as_("operator", JEMBER))
    assert again.status_code == 200 and again.json()["version"] == accepted.json()["version"], "a replay moves nothing"

    # B may read and change the child, with its history and visits; A no longer may.
    moved = await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator", JEMBER))
    assert moved.status_code == 200 and moved.json()["village_code"] == KESILIR_NEIGHBOUR
    assert moved.json()["version"] == child["version"] + 2  # the visit, then the move
    assert (await api.get(f"/api/v1/children/{child['id']}", headers=as_("cadre", KESILIR_NEIGHBOUR))
            ).status_code == 200
    visits = (await api.get(f"/api/v1/children/{child['id']}/visits", headers=as_("operator", JEMBER))).json()
    assert len(visits["items"]) == 1
    history = (await api.get(f"/api/v1/children/{child['id']}/history", headers=as_("operator", JEMBER))).json()
    assert history["items"][-1]["reason"] == f"transferred from {LOMBOK_TIMUR} to {JEMBER}"
    for method, path, body in (("GET", f"/api/v1/children/{child['id']}", None),
                               ("PATCH", f"/api/v1/children/{child['id']}", {"school_status": "in_school"})):
        refused = await api.request(method, path, json=body, headers={**as_("operator", LOMBOK_TIMUR), "If-Match": "*"})
        assert refused.status_code == 404, (method, refused.text)
    # A still sees what it did: the transfer itself.
    mine = await api.get(f"/api/v1/transfers/{transfer['id']}", headers=as_("operator", LOMBOK_TIMUR))
    assert mine.status_code == 200 and mine.json()["status"] == "accepted" and mine.json()["child"] is None

    events = await db.fetch("SELECT type, subject, envelope->'data' AS data FROM outbox WHERE type LIKE "
                            "'sprpa.%transfer%' OR type = 'sprpa.child.updated.v1' ORDER BY position")
    kinds = [(e["type"], e["subject"]) for e in events]
    assert ("sprpa.transfer.proposed.v1", "sprpa.registry.transfer.proposed.52.03") in kinds
    assert ("sprpa.child.transferred.v1", "sprpa.registry.child.transferred.35.09") in kinds
    transferred = next(e for e in events if e["type"] == "sprpa.child.transferred.v1")
    assert json.loads(transferred["data"])["from_village_code"] == "52.03.20.2006"
    assert "Siti" not in str([e["data"] for e in events])
    audited = await db.fetchval("SELECT count(*) FROM audit_log WHERE child_id = $1 AND action LIKE "
                                "'POST /api/v1/transfers/%/accept'", uuid.UUID(child["id"]))
    assert audited == 2, "the acceptance and its replay"


async def test_a_declined_or_cancelled_transfer_changes_nothing(api, as_, register, db):
    child = await _in_lombok(register, api, as_)
    before = (await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator", LOMBOK_TIMUR))).json()
    transfer = await _propose(api, as_, child["id"])
    declined = await api.post(f"/api/v1/transfers/{transfer['id']}/decline", json={"reason": "family_not_found"},
                              headers=as_("operator", JEMBER))
    assert declined.status_code == 200 and declined.json()["decline_reason"] == "family_not_found"
    late = await api.post(f"/api/v1/transfers/{transfer['id']}/accept", json={"village_code": KESILIR},
                          headers=as_("operator", JEMBER))
    assert late.status_code == 409
    after = (await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator", LOMBOK_TIMUR))).json()
    assert after == before
    assert (await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator", JEMBER))).status_code == 404

    second = await _propose(api, as_, child["id"])
    assert (await api.post(f"/api/v1/transfers/{second['id']}/cancel", headers=as_("operator", JEMBER))
            ).status_code == 403, "only the proposing kabupaten withdraws its proposal"
    cancelled = await api.post(f"/api/v1/transfers/{second['id']}/cancel", headers=as_("operator", LOMBOK_TIMUR))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    outcomes = await db.fetch("SELECT envelope->'data'->>'outcome' AS outcome FROM outbox "
                              "WHERE type = 'sprpa.transfer.decided.v1' ORDER BY position")
    assert [o["outcome"] for o in outcomes] == ["declined", "cancelled"]
    assert (await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator", LOMBOK_TIMUR))).json() == before


async def test_a_proposal_is_checked_before_anything_is_written(api, as_, register, db):
    child = await _in_lombok(register, api, as_)
    url = f"/api/v1/children/{child['id']}/transfers"
    cases = [
        (as_("cadre", PANDAN_WANGI), {"to_regency_code": JEMBER, "reason": "family_moved"}, 403),
        (as_("operator", JEMBER), {"to_regency_code": JEMBER, "reason": "family_moved"}, 404),
        (as_("operator", LOMBOK_TIMUR), {"to_regency_code": LOMBOK_TIMUR, "reason": "family_moved"}, 422),
        (as_("operator", LOMBOK_TIMUR), {"to_regency_code": "35.99", "reason": "family_moved"}, 422),
        (as_("operator", LOMBOK_TIMUR), {"to_regency_code": JEMBER, "to_village_code": PANDAN_WANGI,
                                         "reason": "family_moved"}, 422),
        (as_("operator", LOMBOK_TIMUR), {"to_regency_code": JEMBER, "reason": "holiday"}, 422),
        (as_("operator", LOMBOK_TIMUR), {"to_regency_code": "35.9", "reason": "family_moved"}, 422),
    ]
    for headers, body, expected in cases:
        response = await api.post(url, json=body, headers=headers)
        assert response.status_code == expected, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert await db.fetchval("SELECT count(*) FROM transfers") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type LIKE 'sprpa.transfer.%'") == 0

    key = {**as_("operator", LOMBOK_TIMUR), "Idempotency-Key": "move-1"}
    body = {"to_regency_code": JEMBER, "reason": "family_moved"}
    first = await api.post(url, json=body, headers=key)
    replayed = await api.post(url, json=body, headers=key)
    assert first.status_code == replayed.status_code == 201
    assert replayed.json()["id"] == first.json()["id"] and replayed.headers["Idempotent-Replayed"] == "true"
    another = await api.post(url, json=body, headers=as_("operator", LOMBOK_TIMUR))
    assert another.status_code == 409, "one open transfer per child"
    no_desa = await api.post(f"/api/v1/transfers/{first.json()['id']}/accept", json={},
                             headers=as_("operator", JEMBER))
    assert no_desa.status_code == 422 and no_desa.json()["errors"][0]["field"] == "village_code"


async def test_the_household_goes_along_unless_a_brother_or_sister_stays(api, as_, register, db):
    household = await api.post("/api/v1/households", json={"village_code": PANDAN_WANGI},
                               headers=as_("operator", LOMBOK_TIMUR))
    assert household.status_code == 201, household.text
    first = await _in_lombok(register, api, as_, household_id=household.json()["id"])
    second = await _in_lombok(register, api, as_, household_id=household.json()["id"], full_name="Ahmad",
                              sex="male", nik=None)
    for child, moved in ((first, False), (second, True)):
        transfer = await _propose(api, as_, child["id"], to_village_code=KESILIR)
        accepted = await api.post(f"/api/v1/transfers/{transfer['id']}/accept", json={},
                                  headers=as_("operator", JEMBER))
        assert accepted.status_code == 200 and accepted.json()["household_moved"] is moved
    first_now = (await api.get(f"/api/v1/children/{first['id']}", headers=as_("operator", JEMBER))).json()
    second_now = (await api.get(f"/api/v1/children/{second['id']}", headers=as_("operator", JEMBER))).json()
    assert first_now["household_id"] is None, "the first left while a brother stayed behind"
    assert second_now["household_id"] == household.json()["id"]
    moved_household = await api.get(f"/api/v1/households/{household.json()['id']}", headers=as_("operator", JEMBER))
    assert moved_household.status_code == 200 and moved_household.json()["village_code"] == KESILIR
