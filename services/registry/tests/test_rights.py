"""A child's rights over their data: export of everything held, erasure on request and at the end
of the retention period; both only for the district that holds the child (or a national admin),
both asked by one person and confirmed by a second (issue 24, point 3), both audited."""

from __future__ import annotations

from datetime import timedelta

from registry.rights.service import erase_expired
from registry.testing import KESILIR, TODAY
from sprpa_contracts.events import ChildErased

ASSESSMENT = {"work": {"sector": "tobacco", "hours_per_day": 5, "hours_per_week": 30, "hazards": ["green_tobacco"]},
              "school_status": "out_of_school", "living_arrangement": "with_family", "root_causes": ["out_of_school"]}
GUARDIAN = {"basis": "guardian", "given_by": "Ibu Wati", "relation": "mother", "given_on": "2026-11-20",
            "guardian_phone": "0813-1111-2222", "share_contact_with_provider": True}


def second_operator(issuer) -> dict:
    from sprpa_shared.auth.principal import Role
    return issuer.headers(Role.DISTRICT_OPERATOR, regencies=("35.09",), subject="operator-35.09-kedua")


async def confirmed(api, as_, issuer, child: dict, kind: str, **body) -> dict:
    """Asked by the operator, confirmed by a second operator."""
    url = f"/api/v1/children/{child['id']}/rights-requests"
    asked = await api.post(url, headers=as_("operator"), json={"kind": kind, **body})
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending"
    alone = await api.post(f"{url}/{asked.json()['id']}/confirm", headers=as_("operator"))
    assert alone.status_code == 403, "nobody confirms their own request"
    done = await api.post(f"{url}/{asked.json()['id']}/confirm", headers=second_operator(issuer))
    assert done.status_code == 200, done.text
    return done.json()


async def _child_with_history(api, as_, register) -> dict:
    household = (await api.post("/api/v1/households", headers=as_("cadre"),
                                json={"village_code": KESILIR, "head_name": "Pak Darmo"})).json()
    child = await register(household_id=household["id"])
    await api.post(f"/api/v1/children/{child['id']}/visits", headers={**as_("cadre"), "If-Match": "*"}, json={
        "visited_on": "2026-11-23", "working": True, "attendance": "none", "notes": "bekerja di ladang",
        "work": ASSESSMENT["work"]})
    await api.post(f"/api/v1/children/{child['id']}/assessments", headers={**as_("cadre"), "If-Match": "*"},
                   json=ASSESSMENT)
    flagged = await api.post(f"/api/v1/children/{child['id']}/flag", headers=as_("operator"), json={
        "root_causes": ["out_of_school"], "extra_needs": [], "consent": GUARDIAN})
    assert flagged.status_code == 201, flagged.text
    return child


async def test_the_district_exports_everything_held_about_a_child(api, as_, register, issuer, clock):
    child = await _child_with_history(api, as_, register)
    export = f"/api/v1/children/{child['id']}/export"
    alone = await api.get(export, headers=as_("operator"))
    assert alone.status_code == 409 and "second person" in alone.json()["detail"], "nobody exports alone"
    opened = await confirmed(api, as_, issuer, child, "export", reference="Surat 3/2026")
    assert opened["status"] == "confirmed" and opened["confirmed_by"] == "operator-35.09-kedua"
    response = await api.get(export, headers=as_("operator"))
    assert response.status_code == 200, response.text
    held = response.json()
    assert held["child"]["full_name"] == "Siti Aminah" and held["child"]["nik"] == "3509114508120001"
    assert held["household"]["head_name"] == "Pak Darmo"
    assert [visit["notes"] for visit in held["visits"]] == ["bekerja di ladang"]
    assert held["consents"][0]["given_by"] == "Ibu Wati" and len(held["flags"]) == 1
    assert [line["to_status"] for line in held["case_history"]][-1] == "flagged"
    assert {"actor_role": "district_operator", "action": "GET /api/v1/children/{child_id}/export"} in [
        {key: access[key] for key in ("actor_role", "action")} for access in held["accesses"]], "the export is audited"

    for who, status in (("cadre", 403), ("provider", 404), ("analyst", 404)):
        assert (await api.get(f"/api/v1/children/{child['id']}/export", headers=as_(who))).status_code == status
    elsewhere = await api.get(f"/api/v1/children/{child['id']}/export", headers=as_("operator", "52.03"))
    assert elsewhere.status_code == 404
    clock.advance(timedelta(hours=24, seconds=1))
    assert (await api.get(export, headers=as_("operator"))).status_code == 409, "open for 24 hours only"


async def test_erasure_removes_the_personal_data_keeps_the_counts_and_tells_the_others(api, as_, register, db,
                                                                                     issuer):
    child = await _child_with_history(api, as_, register)
    url = f"/api/v1/children/{child['id']}/rights-requests"
    assert (await api.post(url, headers=as_("cadre"), json={"kind": "erasure", "basis": "data_subject_request"})
            ).status_code == 403
    no_basis = await api.post(url, headers=as_("operator"), json={"kind": "erasure"})
    assert no_basis.status_code == 422 and no_basis.json()["errors"][0]["field"] == "basis"
    done = await confirmed(api, as_, issuer, child, "erasure", basis="data_subject_request",
                           reference="Surat 12/PPPA/2026")
    assert done["status"] == "done"
    erased = await db.fetchrow("SELECT full_name, birth_date FROM children WHERE id = $1", child["id"])
    assert str(erased["birth_date"]) == "2012-07-01"

    gone = await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator"))
    assert gone.status_code == 410 and gone.json()["basis"] == "data_subject_request"
    listed = (await api.get("/api/v1/children", headers=as_("operator"))).json()["items"]
    assert child["id"] not in [item["id"] for item in listed]

    row = await db.fetchrow("SELECT nik, nik_index, household_id, work, village_code, sex, status, erasure_basis "
                            "FROM children WHERE id = $1", child["id"])
    assert (row["nik"], row["nik_index"], row["household_id"]) == (None, None, None)
    assert row["work"] in (None, "null")
    assert (row["village_code"], row["sex"], row["status"]) == (KESILIR, "female", "flagged"), "still counted"
    assert await db.fetchval("SELECT count(*) FROM visits WHERE child_id = $1 AND notes IS NOT NULL", child["id"]) == 0
    assert await db.fetchval("SELECT count(*) FROM consents WHERE child_id = $1 AND (given_by IS NOT NULL "
                             "OR guardian_phone IS NOT NULL)", child["id"]) == 0
    assert await db.fetchval("SELECT head_name FROM households") is None
    assert "erased (data_subject_request, Surat 12/PPPA/2026)" in await db.fetchval(
        "SELECT reason FROM case_history WHERE child_id = $1 ORDER BY id DESC LIMIT 1", child["id"])
    event = await db.fetchval("SELECT envelope::text FROM outbox WHERE type = $1", ChildErased.event_type)
    assert child["id"] in event and "Siti" not in event and "Surat" not in event


async def test_closed_cases_untouched_past_the_retention_period_are_erased_by_the_sweeper(registry_app, register,
                                                                                          db, api, as_):
    old, recent = await register(), await register(nik=None, full_name="Budi")
    for child in (old, recent):  # closed by the district, as a case is closed
        closed = await api.post(f"/api/v1/children/{child['id']}/close", json={"reason": "aged_out"},
                                headers=as_("operator"))
        assert closed.status_code == 200, closed.text
    # ... and then left untouched: six years for one, ten months for the other
    await db.execute("UPDATE children SET updated_at = $2 WHERE id = $1", old["id"], TODAY - timedelta(days=6 * 366))
    await db.execute("UPDATE children SET updated_at = $2 WHERE id = $1", recent["id"], TODAY - timedelta(days=300))

    assert await erase_expired(registry_app.state.sessions, now=TODAY, years=5) == 1
    assert await erase_expired(registry_app.state.sessions, now=TODAY, years=5) == 0, "once"
    rows = dict(await db.fetch("SELECT id::text, erasure_basis FROM children"))
    assert rows == {old["id"]: "retention", recent["id"]: None}
    assert await db.fetchval("SELECT actor FROM case_history WHERE child_id = $1 ORDER BY id DESC LIMIT 1",
                             old["id"]) == "system:retention"


async def test_the_district_sees_who_read_a_childs_record(api, as_, register):
    """Issue 24: who read a child's record, with the person's name, for the district."""
    child = await register(nik=None)
    url = f"/api/v1/children/{child['id']}"
    await api.get(url, headers=as_("cadre"))
    await api.get(url, headers=as_("operator", "52.03"))  # refused, and audited as such
    listed = await api.get(f"{url}/accesses", headers=as_("operator"))
    assert listed.status_code == 200, listed.text
    rows = listed.json()["items"]
    assert rows[0]["actor"] == "operator-35.09", "reading the list is itself a read of the child, audited"
    assert rows[1]["actor"] == "operator-52.03" and rows[1]["outcome"] == "refused", "newest first"
    assert any(r["actor"] == "cadre-35.09.11.2007" and r["action"] == "GET /api/v1/children/{child_id}"
               for r in rows)
    first = (await api.get(f"{url}/accesses", headers=as_("operator"), params={"limit": 1})).json()
    second = (await api.get(f"{url}/accesses", headers=as_("operator"),
                            params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert len(first["items"]) == len(second["items"]) == 1
    assert int(second["next_cursor"]) < int(first["next_cursor"]), "each page goes further back"
    assert (await api.get(f"{url}/accesses", headers=as_("cadre"))).status_code == 403, "not for cadres"
