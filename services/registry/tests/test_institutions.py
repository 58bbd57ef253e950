"""A desa's institutions through the API (issue 26, point 1): formed, decreed, active, with history;
counted members, named only for adults who agree; the desa's readiness."""

from __future__ import annotations

import json

FAD = {"type": "fad", "name": "Forum Anak Desa Kesilir", "status": "formed", "formed_on": "2026-03-01",
       "members": [{"role": "anggota", "sex": "female", "age_band": "13_14", "count": 9},
                   {"role": "anggota", "sex": "male", "age_band": "15_17", "count": 6}]}
PATBM = {"type": "patbm", "name": "PATBM Kesilir", "status": "decreed", "formed_on": "2026-02-01",
         "decree_number": "141/12/35.09.11.2007/2026", "decreed_on": "2026-04-15",
         "members": [{"role": "anggota", "sex": "female", "count": 8}],
         "named_members": [{"name": "Bapak Sutrisno", "role": "ketua", "adult": True, "agreed": True}]}


async def test_an_institution_moves_from_formed_to_decreed_to_active_with_history(api, as_, db):
    made = await api.post("/api/v1/villages/35.09.11.2007/institutions", json=FAD, headers=as_("cadre"))
    assert made.status_code == 201, made.text
    fad = made.json()
    assert fad["member_total"] == 15
    no_decree = await api.patch(f"/api/v1/institutions/{fad['id']}", json={"status": "decreed"},
                                headers={**as_("operator"), "If-Match": made.headers["ETag"]})
    assert no_decree.status_code == 422, "decreed needs the decree's number and date"
    decreed = await api.patch(f"/api/v1/institutions/{fad['id']}",
                              headers={**as_("operator"), "If-Match": made.headers["ETag"]},
                              json={"status": "decreed", "decree_number": "141/07/2026", "decreed_on": "2026-05-02"})
    assert decreed.status_code == 200, decreed.text
    stale = await api.patch(f"/api/v1/institutions/{fad['id']}", json={"status": "active"},
                            headers={**as_("operator"), "If-Match": made.headers["ETag"]})
    assert stale.status_code == 412
    active = await api.patch(f"/api/v1/institutions/{fad['id']}", json={"status": "active"},
                             headers={**as_("operator"), "If-Match": decreed.headers["ETag"]})
    assert active.json()["status"] == "active" and active.json()["decree_number"] == "141/07/2026"
    history = (await api.get(f"/api/v1/institutions/{fad['id']}/history", headers=as_("cadre"))).json()["items"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [(None, "formed"), ("formed", "decreed"),
                                                                     ("decreed", "active")]
    events = await db.fetch("SELECT envelope::text AS body FROM outbox WHERE type = 'sprpa.institution.changed.v1'")
    assert len(events) == 3


async def test_named_members_are_adults_who_agreed_and_stay_out_of_events(api, as_, db):
    refused = await api.post("/api/v1/villages/35.09.11.2007/institutions", headers=as_("cadre"), json={
        **PATBM, "named_members": [{"name": "Bapak Sutrisno", "role": "ketua", "adult": True, "agreed": False}]})
    assert refused.status_code == 422
    made = await api.post("/api/v1/villages/35.09.11.2007/institutions", json=PATBM, headers=as_("cadre"))
    assert made.status_code == 201, made.text
    assert made.json()["member_total"] == 9 and made.json()["named_members"][0]["name"] == "Bapak Sutrisno"
    stored = await db.fetchval("SELECT named_members FROM institutions")
    assert "Sutrisno" not in stored, "named members are encrypted at rest"
    event = await db.fetchval("SELECT envelope::text FROM outbox WHERE type = 'sprpa.institution.changed.v1'")
    assert "Sutrisno" not in event and json.loads(event)["data"]["members"] == 9


async def test_a_forum_anak_counts_members_by_age_band(api, as_):
    no_band = await api.post("/api/v1/villages/35.09.11.2007/institutions", headers=as_("cadre"), json={
        **FAD, "members": [{"role": "anggota", "sex": "female", "count": 9}]})
    assert no_band.status_code == 422


async def test_readiness_shows_which_institutions_exist_and_work(api, as_):
    for body in (FAD, PATBM, {**FAD, "type": "gtdla", "name": "GTDLA Kesilir", "status": "planned",
                              "members": []}):
        assert (await api.post("/api/v1/villages/35.09.11.2007/institutions", json=body,
                               headers=as_("cadre"))).status_code == 201
    readiness = (await api.get("/api/v1/villages/35.09.11.2007/readiness", headers=as_("operator"))).json()
    by_type = {item["type"]: item for item in readiness["institutions"]}
    assert (by_type["fad"]["exists"], by_type["patbm"]["decreed"], by_type["gtdla"]["exists"]) == (True, True, False)
    assert (readiness["formed"], readiness["decreed"], readiness["active"], readiness["ready"]) == (2, 1, 0, False)
    assert (await api.get("/api/v1/villages/35.09.11.2007/readiness", headers=as_("cadre", "35.09.11.2006"))
            ).status_code == 404
    assert (await api.post("/api/v1/villages/35.09.11.2006/institutions", json=FAD, headers=as_("cadre"))
            ).status_code == 403
