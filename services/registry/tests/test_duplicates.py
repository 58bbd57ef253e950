"""Possible duplicates are reported on registration, within scope; an operator merges them."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from registry.duplicates import sounds
from registry.duplicates.rules import BIRTH_DATE_TOLERANCE_DAYS, name_sounds, sounds_alike
from registry.testing import KESILIR, PANDAN_WANGI
from sprpa_shared.protect import Protector


async def test_same_nik_and_similar_name_are_reported_with_a_score(api, as_, register):
    first = await register()
    assert first["possible_duplicates"] == []
    same_nik = await register(full_name="Siti A.")
    assert same_nik["possible_duplicates"] == [
        {"child_id": first["id"], "score": 1.0, "reasons": ["same_nik"]}
    ]
    similar = await register("operator", nik=None, full_name="siti aminnah", birth_date="2012-08-06",
                             village_code="35.09.11.2001")  # another desa of the same kecamatan
    (reported,) = similar["possible_duplicates"]  # "Siti A." is too far from "siti aminnah"
    assert reported["child_id"] == first["id"]
    assert reported["reasons"] == ["similar_name", "same_kecamatan", "birth_date_1_days_apart"]
    assert 0.9 < reported["score"] < 1.0
    listed = (await api.get(f"/api/v1/children/{similar['id']}/duplicates", headers=as_("operator"))).json()["items"]
    assert first["id"] in {d["child_id"] for d in listed}


async def test_matches_outside_the_callers_area_are_not_revealed(api, as_, register):
    await register("operator", "52.03", village_code=PANDAN_WANGI, nik="5203204508120001")
    mine = await register(nik="5203204508120001", village_code=KESILIR)
    assert mine["possible_duplicates"] == []


async def test_operator_merges_a_duplicate_and_it_disappears_from_lists(api, as_, register, db):
    survivor = await register()
    duplicate = await register(full_name="Siti Aminah", nik=None)
    visit = await api.post(f"/api/v1/children/{duplicate['id']}/visits", headers={**as_("cadre"), "If-Match": "*"},
                           json={
        "visited_on": "2026-11-23", "working": False, "attendance": "school"})
    assert visit.status_code == 201

    cadre = await api.post(f"/api/v1/children/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]},
                           headers=as_("cadre"))
    assert cadre.status_code == 403
    merged = await api.post(f"/api/v1/children/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]},
                            headers=as_("operator"))
    assert merged.status_code == 200, merged.text

    gone = await api.get(f"/api/v1/children/{duplicate['id']}", headers=as_("operator"))
    assert gone.status_code == 404 and gone.json()["merged_into"] == survivor["id"]
    listed = (await api.get("/api/v1/children", headers=as_("operator"))).json()["items"]
    assert [c["id"] for c in listed] == [survivor["id"]]
    visits = (await api.get(f"/api/v1/children/{survivor['id']}/visits", headers=as_("operator"))).json()["items"]
    assert len(visits) == 1, "the duplicate's visits moved to the survivor"
    event = await db.fetchrow("SELECT envelope->'data' AS data FROM outbox WHERE type = 'sprpa.child.merged.v1'")
    assert event is not None

    again = await api.post(f"/api/v1/children/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]},
                           headers=as_("operator"))
    assert again.status_code == 409
    itself = await api.post(f"/api/v1/children/{survivor['id']}/merge", json={"duplicate_id": survivor["id"]},
                            headers=as_("operator"))
    assert itself.status_code == 422


async def test_merging_across_kabupaten_or_unknown_ids_is_refused(api, as_, register):
    survivor = await register()
    elsewhere = await register("operator", "52.03", village_code=PANDAN_WANGI, nik=None)
    for duplicate_id in (elsewhere["id"], str(uuid.uuid4())):
        response = await api.post(f"/api/v1/children/{survivor['id']}/merge", json={"duplicate_id": duplicate_id},
                                  headers=as_("operator"))
        assert response.status_code == 404



async def test_a_cadre_asks_the_district_to_merge_and_the_operators_are_told(api, as_, register, db):
    first = await register(nik=None)
    second = await register(nik=None, full_name="Siti Aminnah")
    url = f"/api/v1/children/{second['id']}/merge-requests"
    asked = await api.post(url, json={"duplicate_id": first["id"]}, headers=as_("cadre"))
    assert asked.status_code == 204, asked.text
    event = await db.fetchrow("SELECT envelope::text AS body FROM outbox WHERE type = 'sprpa.child.merge_requested.v1'")
    assert f'"duplicate_id":"{first["id"]}"' in event["body"].replace(" ", "") and "Siti" not in event["body"]
    assert await db.fetchval("SELECT reason FROM case_history WHERE reason LIKE 'merge with %'") == \
        f"merge with {first['id']} asked"
    assert await db.fetchval("SELECT count(*) FROM children WHERE merged_into IS NOT NULL") == 0, "only asked"

    itself = await api.post(url, json={"duplicate_id": second["id"]}, headers=as_("cadre"))
    assert itself.status_code == 422
    lombok = await register("operator", "52.03", village_code=PANDAN_WANGI, nik=None)
    outside = await api.post(url, json={"duplicate_id": lombok["id"]}, headers=as_("cadre"))
    assert outside.status_code == 404
    assert (await api.post(url, json={"duplicate_id": str(uuid.uuid4())}, headers=as_("cadre"))).status_code == 404
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.child.merge_requested.v1'") == 1


WORDS = ["Siti", "Nur", "Muhammad", "Rizki", "Putri", "Dewi", "Budi", "Agus", "Aminah", "Santoso", "Wahyu", "Lestari"]
KEYS = Protector({"k": b"k" * 32}, "k", b"i" * 32)


async def test_the_look_up_by_tags_keeps_exactly_the_children_whose_names_sound_alike(db):
    """Issue 27: the database finds a record's possible duplicates by its name's tags alone, the
    index by pairs of them (`sounds.LOOKUP`) and `sounds.ALIKE` exactly after. Over names of one to
    eight words, born in the record's week or the one beside it, the two together keep exactly the
    children the rules call alike (`sounds_alike`), and the look-up alone loses none of them."""
    chance = random.Random(27)
    cases = []
    for number in range(4_000):
        child = chance.sample(WORDS, chance.randint(1, 8))
        shared = chance.sample(child, chance.randint(0, len(child)))  # the record's words from the child's
        record = shared + chance.sample(WORDS, chance.randint(0 if shared else 1, 8 - len(shared)))
        born = date(2012, 1, 1) + timedelta(days=chance.randint(0, 60))
        apart = chance.randint(-BIRTH_DATE_TOLERANCE_DAYS, BIRTH_DATE_TOLERANCE_DAYS)
        own, theirs = name_sounds(" ".join(child)), name_sounds(" ".join(record))
        stored, _ = sounds.tags(own, "35.09.11", born, keys=KEYS)
        _, sought = sounds.tags(theirs, "35.09.11", born + timedelta(days=apart), keys=KEYS)
        cases.append((number, stored, sought, len(theirs), sounds_alike(theirs, own)))
    await db.execute("CREATE TEMP TABLE sounded "
                     "(number integer, name_sounds integer[], tags integer[], sounds integer)")
    await db.copy_records_to_table("sounded", records=[case[:4] for case in cases])
    given = {"c": "c", "sought": "c.tags", "count": "c.sounds"}
    kept = {row[0] for row in await db.fetch(
        f"SELECT number FROM sounded c WHERE {sounds.LOOKUP.format(**given)} AND {sounds.ALIKE.format(**given)}")}
    found = {row[0] for row in await db.fetch(f"SELECT number FROM sounded c WHERE {sounds.LOOKUP.format(**given)}")}

    alike = {case[0] for case in cases if case[4]}
    assert kept == alike
    assert found >= alike
    lengths = {(len(case[2]) // case[3], case[3]) for case in cases if case[4]}
    assert {(1, 1), (2, 1), (1, 3), (2, 3), (2, 5), (2, 6), (2, 8)} <= lengths, "one and two weeks, every kind of name"
