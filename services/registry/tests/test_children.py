"""Registering, reading, listing and updating children, with authorisation by role and place."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from registry.testing import KESILIR, KESILIR_NEIGHBOUR, PANDAN_WANGI, child_payload


async def count_children(db) -> int:
    return await db.fetchval("SELECT count(*) FROM children")


async def test_cadre_registers_a_child_and_sees_the_classification_at_once(api, as_, db):
    response = await api.post("/api/v1/children", json=child_payload(), headers=as_("cadre"))
    assert response.status_code == 201
    child = response.json()
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/children/{child['id']}"
    assert child["status"] == "identified"
    assert child["age"] == 14
    assert (child["district_code"], child["regency_code"], child["province_code"]) == ("35.09.11", "35.09", "35")
    assert child["classification"]["result"] == "worst_form"
    assert [r["code"] for r in child["classification"]["reasons"]] == ["hazard.green_tobacco"]

    event = await db.fetchrow("SELECT type, subject, envelope::text AS body FROM outbox")
    assert (event["type"], event["subject"]) == ("sprpa.child.registered.v1", "sprpa.registry.child.registered.35.09")
    for personal in ("Siti", "Aminah", "3509114508120001", "2012-08-05"):
        assert personal not in event["body"]


async def test_reading_a_child_is_audited(api, as_, register, db):
    child = await register()
    await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator"))
    rows = await db.fetch("SELECT actor_role, action FROM audit_log WHERE child_id = $1 ORDER BY id",
                          uuid.UUID(child["id"]))
    assert [(r["actor_role"], r["action"]) for r in rows] == [
        ("village_cadre", "POST /api/v1/children"),
        ("district_operator", "GET /api/v1/children/{child_id}"),
    ]
    with pytest.raises(Exception, match="append-only"):
        await db.execute("UPDATE audit_log SET actor = 'someone else'")
    with pytest.raises(Exception, match="append-only"):
        await db.execute("DELETE FROM audit_log")


@pytest.mark.parametrize(
    ("who", "place", "expected"),
    [
        ("cadre", KESILIR, 200),
        ("operator", "35.09", 200),
        ("admin", None, 200),
        ("cadre", KESILIR_NEIGHBOUR, 404),  # another desa of the same kecamatan
        ("operator", "52.03", 404),  # another kabupaten
        ("provider", None, 404),  # no live referral for this child
        ("analyst", None, 404),  # aggregates only
    ],
)
async def test_who_may_read_a_child(api, as_, register, who, place, expected, db):
    child = await register()
    response = await api.get(f"/api/v1/children/{child['id']}", headers=as_(who, place))
    assert response.status_code == expected
    if expected == 404:
        assert response.json()["detail"] == "no such child", "no hint that the child exists"
        missing = await api.get(f"/api/v1/children/{uuid.uuid4()}", headers=as_(who, place))
        assert missing.json() == {**response.json(), "instance": missing.json()["instance"]}


async def test_outsiders_cannot_change_assess_flag_or_read_history(api, as_, register):
    child = await register()
    base = f"/api/v1/children/{child['id']}"
    consent = {"basis": "guardian", "given_by": "Ibu Sri", "relation": "mother", "given_on": "2026-11-01"}
    for who, place in (("operator", "52.03"), ("cadre", KESILIR_NEIGHBOUR), ("provider", None), ("analyst", None)):
        outsider = as_(who, place)
        responses = await asyncio.gather(
            api.patch(base, json={"school_status": "in_school"}, headers={**outsider, "If-Match": '"1"'}),
            api.post(f"{base}/assessments", json={"work": None, "school_status": "in_school",
                                                  "living_arrangement": "with_family"},
                     headers={**outsider, "If-Match": "*"}),
            api.post(f"{base}/flag", json={"root_causes": ["poverty"], "consent": consent}, headers=outsider),
            api.get(f"{base}/history", headers=outsider),
        )
        assert [r.status_code for r in responses] == [404, 404, 404, 404], who
    unchanged = (await api.get(base, headers=as_("cadre"))).json()
    assert (unchanged["status"], unchanged["version"]) == ("identified", 1)


async def test_registering_outside_ones_area_is_refused(api, as_, db):
    for who, place, village in (("cadre", KESILIR, KESILIR_NEIGHBOUR), ("operator", "35.09", PANDAN_WANGI)):
        response = await api.post("/api/v1/children", json=child_payload(village_code=village, nik=None),
                                  headers=as_(who, place))
        assert response.status_code == 403
    for who in ("provider", "analyst"):
        assert (await api.post("/api/v1/children", json=child_payload(),
                               headers=as_(who))).status_code == 403
    assert await count_children(db) == 0


async def test_lists_stay_inside_the_callers_area(api, as_, register):
    mine = await register()
    await register("cadre", KESILIR_NEIGHBOUR, village_code=KESILIR_NEIGHBOUR, nik=None)
    await register("operator", "52.03", village_code=PANDAN_WANGI, nik=None)

    def ids(response):
        return {item["id"] for item in response.json()["items"]}

    cadre = await api.get("/api/v1/children", headers=as_("cadre"))
    assert ids(cadre) == {mine["id"]}
    jember = await api.get("/api/v1/children", headers=as_("operator"))
    assert len(ids(jember)) == 2
    lotim = await api.get("/api/v1/children", headers=as_("operator", "52.03"))
    assert len(ids(lotim)) == 1 and mine["id"] not in ids(lotim)
    snooping = await api.get("/api/v1/children", params={"village_code": PANDAN_WANGI}, headers=as_("operator"))
    assert ids(snooping) == set()
    assert len(ids(await api.get("/api/v1/children", headers=as_("admin")))) == 3
    for who in ("provider", "analyst"):
        assert (await api.get("/api/v1/children", headers=as_(who))).status_code == 403


async def test_list_filters_and_cursor_pagination(api, as_, register):
    created = [await register(nik=None, full_name=f"Anak {i}") for i in range(5)]
    created.append(await register(nik=None, work=None, school_status="in_school"))
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/api/v1/children", params=params, headers=as_("operator"))).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [child["id"] for child in created]
    not_at_risk = await api.get("/api/v1/children", params={"classification": "not_at_risk"},
                                headers=as_("operator"))
    assert [item["id"] for item in not_at_risk.json()["items"]] == [created[-1]["id"]]
    bad = await api.get("/api/v1/children", params={"cursor": "not-a-cursor"}, headers=as_("operator"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    too_big = await api.get("/api/v1/children", params={"limit": 5000}, headers=as_("operator"))
    assert too_big.status_code == 422


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"village_code": "35.09.11.9999"}, "village_code"),  # well formed, not official
        ({"village_code": "Kesilir"}, "village_code"),
        ({"nik": "35091145081200011"}, "nik"),  # 17 digits
        ({"nik": "3509114608120001"}, "nik"),  # birth date in the NIK disagrees
        ({"nik": "3599994508120001"}, "nik"),  # no such kecamatan
        ({"birth_date": "2027-01-01", "nik": None}, "birth_date"),
        ({"birth_date": "2008-11-22", "nik": None}, "birth_date"),  # 18 yesterday
        ({"work": {"sector": "tobacco", "hours_per_day": 2, "hours_per_week": -3}}, "work.hours_per_week"),
        ({"work": {"sector": "tobacco", "hours_per_day": 1, "hours_per_week": 20}}, "work.hours_per_week"),
        ({"work": {"sector": "tobacco", "hours_per_day": 2, "hours_per_week": 3, "hazards": ["glitter"]}},
         "work.hazards.0"),
        ({"sex": "f"}, "sex"),
        ({"school_status": "sometimes"}, "school_status"),
        ({"mapping_categories": ["naughty"]}, "mapping_categories.0"),
        ({"status": "closed"}, "status"),  # server-owned: mass assignment refused
        ({"classification": {"result": "not_at_risk"}}, "classification"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"full_name": "Siti \u202eanimA"}, "full_name"),  # a right-to-left override: spoofs lists
        ({"full_name": "Siti\u200b Aminah"}, "full_name"),  # a zero-width space: two names look one
        ({"full_name": "Siti\x07Aminah"}, "full_name"),  # a control character
        ({"full_name": "Siti\nAminah"}, "full_name"),  # a line break in a name
    ],
)
async def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(api, as_, db, overrides, field):
    response = await api.post("/api/v1/children", json=child_payload(**overrides), headers=as_("operator"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    fields = [error["field"] for error in response.json()["errors"]]
    assert field in fields, fields
    assert await count_children(db) == 0
    assert await db.fetchval("SELECT count(*) FROM outbox") == 0


async def test_nik_mismatch_explains_itself(api, as_):
    response = await api.post("/api/v1/children", json=child_payload(nik="3509110508120001"), headers=as_("cadre"))
    error = response.json()["errors"][0]
    assert error["code"] == "nik.sex" and "40 added" in error["message"]


async def test_update_needs_the_current_etag_and_reclassifies(api, as_, register, db):
    child = await register(work=None, school_status="in_school", nik=None)
    assert child["classification"]["result"] == "not_at_risk"
    url = f"/api/v1/children/{child['id']}"
    change = {"work": {"sector": "agriculture", "hours_per_day": 4, "hours_per_week": 20, "parental_consent": True}}

    missing = await api.patch(url, json=change, headers=as_("cadre"))
    assert missing.status_code == 428
    updated = await api.patch(url, json=change, headers={**as_("cadre"), "If-Match": '"1"'})
    assert updated.status_code == 200 and updated.headers["ETag"] == '"2"'
    assert updated.json()["classification"]["result"] == "child_labour"
    assert {r["code"] for r in updated.json()["classification"]["reasons"]} == {
        "light_work.hours_per_day", "light_work.hours_per_week",
    }
    stale = await api.patch(url, json={"school_status": "out_of_school"},
                            headers={**as_("operator"), "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["current_etag"] == '"2"'
    assert (await api.get(url, headers=as_("cadre"))).json()["school_status"] == "in_school"
    moved_away = await api.patch(url, json={"village_code": PANDAN_WANGI},
                                 headers={**as_("cadre"), "If-Match": '"2"'})
    assert moved_away.status_code == 403
    events = await db.fetch("SELECT type, envelope->'data'->'changed' AS changed FROM outbox ORDER BY position")
    assert [e["type"] for e in events] == ["sprpa.child.registered.v1", "sprpa.child.updated.v1"]
    assert json.loads(events[1]["changed"]) == ["work"]


async def test_concurrent_updates_with_the_same_etag_one_wins(api, as_, register):
    child = await register(nik=None)
    url = f"/api/v1/children/{child['id']}"
    headers = {**as_("operator"), "If-Match": '"1"'}
    results = await asyncio.gather(
        api.patch(url, json={"school_status": "in_school"}, headers=headers),
        api.patch(url, json={"living_arrangement": "extended_family"}, headers=headers),
    )
    assert sorted(r.status_code for r in results) == [200, 412]


async def test_idempotency_key_creates_once(api, as_, db):
    headers = {**as_("cadre"), "Idempotency-Key": "survey-row-17"}
    first, second = await asyncio.gather(
        api.post("/api/v1/children", json=child_payload(), headers=headers),
        api.post("/api/v1/children", json=child_payload(), headers=headers),
    )
    assert {first.status_code, second.status_code} == {201}
    assert first.json()["id"] == second.json()["id"]
    assert await count_children(db) == 1
    assert await db.fetchval("SELECT count(*) FROM outbox") == 1


async def test_the_same_idempotency_key_with_another_body_is_a_422_and_creates_nothing(api, as_, db):
    """The IETF Idempotency-Key draft: a key reused with a different payload is refused, not
    silently answered with the first result (issue 19, point 9)."""
    headers = {**as_("cadre"), "Idempotency-Key": "survey-row-18"}
    first = await api.post("/api/v1/children", json=child_payload(), headers=headers)
    other = await api.post("/api/v1/children", json=child_payload(full_name="Dewi Lestari", nik=None), headers=headers)
    assert first.status_code == 201 and other.status_code == 422, other.text
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await count_children(db) == 1


async def test_households_are_created_once_per_idempotency_key(api, as_, db):
    headers = {**as_("cadre"), "Idempotency-Key": "household-3"}
    body = {"village_code": KESILIR, "head_name": "Pak Slamet"}
    first, second = await asyncio.gather(api.post("/api/v1/households", json=body, headers=headers),
                                         api.post("/api/v1/households", json=body, headers=headers))
    assert {first.status_code, second.status_code} == {201}
    assert first.json()["id"] == second.json()["id"]
    assert await db.fetchval("SELECT count(*) FROM households") == 1
    assert first.headers["Location"] == f"/api/v1/households/{first.json()['id']}"


async def test_if_match_star_matches_whatever_the_current_version_is(api, as_, register):
    """RFC 9110: `If-Match: *` is true when a current representation exists."""
    child = await register()
    url = f"/api/v1/children/{child['id']}"
    changed = await api.patch(url, json={"school_status": "in_school"}, headers={**as_("operator"), "If-Match": "*"})
    assert changed.status_code == 200, changed.text
    missing = await api.patch(f"/api/v1/children/{uuid.uuid4()}", json={"school_status": "in_school"},
                              headers={**as_("operator"), "If-Match": "*"})
    assert missing.status_code == 404


async def test_households_hold_children_of_their_desa(api, as_):
    household = await api.post("/api/v1/households", json={"village_code": KESILIR, "head_name": "Pak Slamet"},
                               headers=as_("cadre"))
    assert household.status_code == 201
    household_id = household.json()["id"]
    child = await api.post("/api/v1/children", json=child_payload(household_id=household_id), headers=as_("cadre"))
    assert child.status_code == 201 and child.json()["household_id"] == household_id
    elsewhere = await api.post("/api/v1/children", json=child_payload(household_id=household_id, nik=None,
                                                                        village_code="35.09.11.2001"),
                               headers=as_("operator"))
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["field"] == "household_id"
    assert (await api.get(f"/api/v1/households/{household_id}", headers=as_("operator", "52.03"))).status_code == 404
    assert (await api.get(f"/api/v1/households/{household_id}", headers=as_("operator"))).status_code == 200


async def test_how_a_child_was_identified_and_what_lies_behind_the_classification_reach_the_reports(api, as_, db):
    """Issue 20, point 14: the child's identification channel, an equivalency programme (Kejar
    Paket) as schooling, and the worst forms and hazards behind the classification, in the event."""
    response = await api.post("/api/v1/children", headers=as_("cadre"), json=child_payload(
        nik=None, identified_through="raid", school_status="equivalency",
        work={"sector": "street", "hours_per_day": 6, "hours_per_week": 36, "hazards": ["street_work"],
              "worst_forms": ["commercial_sexual_exploitation"]}))
    assert response.status_code == 201, response.text
    child = response.json()
    assert (child["identified_through"], child["school_status"]) == ("raid", "equivalency")
    body = json.loads(await db.fetchval("SELECT envelope::text FROM outbox"))["data"]
    assert body["identified_through"] == "raid"
    assert body["classification_basis"] == ["worst_form.commercial_sexual_exploitation", "hazard.street_work"]
    # Not working and in a Kejar Paket class: schooling, so not at risk for being out of school.
    in_paket = await api.post("/api/v1/children", headers=as_("cadre"), json=child_payload(
        nik=None, full_name="Dewi Lestari", school_status="equivalency", work=None))
    assert in_paket.json()["classification"]["result"] == "not_at_risk"
    unknown = await api.post("/api/v1/children", headers=as_("cadre"), json=child_payload(
        nik=None, full_name="Rina", identified_through="rumour"))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "identified_through"


async def test_a_null_name_in_a_change_is_a_clear_error_not_a_server_error(api, as_, register, db):
    """Found by the fuzzer through a new PATCH (issue 26): a field whose checks run on text (PlainText)
    given null in a partial update raised a TypeError, a 500, for every shape made by optional_fields."""
    child = await register()
    response = await api.patch(f"/api/v1/children/{child['id']}", json={"full_name": None},
                               headers={**as_("operator"), "If-Match": "*"})
    assert response.status_code == 422, response.text
    assert await db.fetchval("SELECT version FROM children") == 1
