"""The audit gaps of issue 19, point 6: households (the head's name and address) are audited like
children; a refused attempt on an existing record outside the caller's scope leaves a row with its
outcome; the possible-duplicates list and an import's issues name children and are audited too."""

from __future__ import annotations

import uuid

from registry.testing import KESILIR, child_payload


async def _audit(db, **where):
    clauses = " AND ".join(f"{column} = ${i}" for i, column in enumerate(where, 1))
    return await db.fetch(f"SELECT actor, actor_role, action, child_id, object_id, outcome FROM audit_log "
                          f"WHERE {clauses} ORDER BY id", *where.values())


async def test_creating_and_reading_a_household_is_audited(api, as_, db):
    created = await api.post("/api/v1/households", json={"village_code": KESILIR, "head_name": "Pak Slamet",
                                                         "address": "Dusun Krajan RT 2"}, headers=as_("cadre"))
    household = uuid.UUID(created.json()["id"])
    await api.get(f"/api/v1/households/{household}", headers=as_("operator"))
    rows = await _audit(db, object_id=household)
    assert [(r["actor_role"], r["action"], r["outcome"]) for r in rows] == [
        ("village_cadre", "POST /api/v1/households", "allowed"),
        ("district_operator", "GET /api/v1/households/{household_id}", "allowed"),
    ]


async def test_a_refused_attempt_on_an_existing_child_is_audited_with_its_outcome(api, as_, register, db):
    child = await register()
    child_id = uuid.UUID(child["id"])
    outsider = await api.get(f"/api/v1/children/{child_id}", headers=as_("operator", "52.03"))
    absent = await api.get(f"/api/v1/children/{uuid.uuid4()}", headers=as_("operator", "52.03"))
    assert outsider.status_code == absent.status_code == 404
    assert outsider.json() == {**absent.json(), "instance": outsider.json()["instance"]}, "no hint it exists"
    moved = await api.post(f"/api/v1/children/{child_id}/flag", headers=as_("cadre", "35.09.11.2001"),
                           json={"root_causes": [], "consent": {"basis": "guardian", "given_by": "Ibu",
                                                                "relation": "mother", "given_on": "2026-11-20"}})
    assert moved.status_code == 404
    refused = await _audit(db, child_id=child_id, outcome="refused")
    assert [(r["actor"], r["action"]) for r in refused] == [
        ("operator-52.03", "GET /api/v1/children/{child_id}"),
        ("cadre-35.09.11.2001", "POST /api/v1/children/{child_id}/flag"),
    ]
    elsewhere = await api.post("/api/v1/children", json=child_payload(village_code="52.03.20.2006", nik=None),
                               headers=as_("operator"))
    assert elsewhere.status_code == 403
    [forbidden] = await _audit(db, actor="operator-35.09", outcome="refused")
    assert forbidden["action"] == "POST /api/v1/children"


async def test_the_possible_duplicates_list_audits_each_child_it_names(api, as_, register, db):
    first = await register()
    second = await register(full_name="Siti Aminah", nik=None)
    listed = await api.get(f"/api/v1/children/{second['id']}/duplicates", headers=as_("operator"))
    assert [d["child_id"] for d in listed.json()["items"]] == [first["id"]]
    rows = await _audit(db, action="GET /api/v1/children/{child_id}/duplicates")
    assert {r["child_id"] for r in rows} == {uuid.UUID(first["id"]), uuid.UUID(second["id"])}
