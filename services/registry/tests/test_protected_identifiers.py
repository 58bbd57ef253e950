"""Names, NIK, addresses, consent givers and visit notes are encrypted at rest by the service; NIK
is found through its blind index; keys rotate with `rekey`, and rows written before encryption
are read as they are and sealed by it."""

from __future__ import annotations

import base64
import json
import os
import uuid

import pytest

from registry.main import create_app
from registry.rekey import PROTECTED, rekey
from registry.settings import RegistrySettings
from registry.testing import KESILIR, TODAY, child_payload
from sprpa_shared.clock import MovableClock
from sprpa_shared.protect import Protector, protector
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database, running

NAME, NIK, HEAD, GIVER, NOTES = "Rina Kusumawati", "3509114508120002", "Pak Darmo", "Ibu Wati", "ayah bekerja jauh"
ASSESSMENT = {"work": {"sector": "tobacco", "hours_per_day": 5, "hours_per_week": 30, "hazards": ["green_tobacco"]},
              "school_status": "out_of_school", "living_arrangement": "with_family", "root_causes": ["out_of_school"]}
GUARDIAN = {"basis": "guardian", "given_by": GIVER, "relation": "mother", "given_on": "2026-11-20"}


def keys(*ids: str) -> dict[str, str]:
    return {key_id: base64.b64encode(key_id.encode().ljust(32, b"-")).decode() for key_id in ids}


@pytest.fixture
def settings_with(make_settings, tmp_path):
    index_key = base64.b64encode(os.urandom(32)).decode()

    async def make(*key_ids: str, current: str, index: str | None = None) -> RegistrySettings:
        return await make_settings(RegistrySettings, import_spool_dir=tmp_path, data_keys=json.dumps(keys(*key_ids)),
                                   data_key_current=current, blind_index_key=index or index_key)

    return make


async def _everything(app) -> str:
    """Every row of every table holding protected columns, as text: what a stolen dump shows."""
    async with database(app) as db:
        return " ".join([row[0] for table in PROTECTED for row in
                         await db.fetch(f"SELECT row_to_json(t)::text FROM {table} t")])


async def test_the_database_holds_no_name_nik_or_note_and_the_api_still_gives_them(settings_with, issuer, as_):
    # The test's day, not the machine's: the visit below is dated, and must not precede registration.
    app = create_app(await settings_with("k1", current="k1"), verifier=issuer.verifier(), clock=MovableClock(TODAY))
    async with running(app) as api:
        household = (await api.post("/api/v1/households", headers=as_("cadre"),
                                    json={"village_code": KESILIR, "head_name": HEAD})).json()
        child = (await api.post("/api/v1/children", headers=as_("cadre"), json=child_payload(
            full_name=NAME, nik=NIK, household_id=household["id"]))).json()
        visit = await api.post(f"/api/v1/children/{child['id']}/visits", headers={**as_("cadre"), "If-Match": "*"},
                               json={
            "visited_on": TODAY.date().isoformat(), "working": False, "attendance": "school", "notes": NOTES})
        assert visit.status_code == 201, visit.text
        await api.post(f"/api/v1/children/{child['id']}/assessments", headers={**as_("cadre"), "If-Match": "*"},
                       json=ASSESSMENT)
        flagged = await api.post(f"/api/v1/children/{child['id']}/flag", headers=as_("operator"), json={
            "root_causes": ["out_of_school"], "extra_needs": [], "consent": GUARDIAN})
        assert flagged.status_code == 201, flagged.text

        stored = await _everything(app)
        for secret in (NAME, "Kusumawati", NIK, HEAD, GIVER, NOTES):
            assert secret not in stored, f"{secret!r} stored in clear"
        assert "p1.k1." in stored
        read = (await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator"))).json()
        assert (read["full_name"], read["nik"]) == (NAME, NIK)
        visits = (await api.get(f"/api/v1/children/{child['id']}/visits", headers=as_("operator"))).json()["items"]
        assert NOTES in json.dumps(visits)

        twin = (await api.post("/api/v1/children", headers=as_("cadre"),
                               json=child_payload(full_name="R. Kusuma", nik=NIK))).json()
        assert twin["possible_duplicates"] == [{"child_id": child["id"], "score": 1.0, "reasons": ["same_nik"]}]


async def test_keys_rotate_with_rekey_and_the_old_key_can_then_be_dropped(settings_with, issuer, as_):
    app = create_app(await settings_with("k1", current="k1"), verifier=issuer.verifier())
    async with running(app) as api:
        first = (await api.post("/api/v1/children", headers=as_("cadre"), json=child_payload())).json()

    both = await settings_with("k1", "k2", current="k2")
    assert await rekey(both) == {"children": 1, "households": 0, "visits": 0, "consents": 0}
    assert await rekey(both) == {"children": 0, "households": 0, "visits": 0, "consents": 0}, "nothing left to do"

    app = create_app(await settings_with("k2", current="k2"), verifier=issuer.verifier())  # k1 retired
    async with running(app) as api:
        assert "p1.k1." not in await _everything(app)
        read = (await api.get(f"/api/v1/children/{first['id']}", headers=as_("operator"))).json()
        assert read["full_name"] == "Siti Aminah"
        twin = (await api.post("/api/v1/children", headers=as_("cadre"), json=child_payload(full_name="S."))).json()
        assert [d["child_id"] for d in twin["possible_duplicates"]] == [first["id"]]


async def test_rows_written_before_encryption_are_read_and_then_sealed_by_rekey(settings_with, issuer, as_):
    settings = await settings_with("k1", current="k1")
    app = create_app(settings, verifier=issuer.verifier())
    async with running(app) as api:
        child = (await api.post("/api/v1/children", headers=as_("cadre"), json=child_payload())).json()
        async with database(app) as db:  # as an older version of the service left it
            await db.execute("UPDATE children SET full_name = 'Siti Aminah', nik = $1, nik_index = NULL", NIK)
        assert (await api.get(f"/api/v1/children/{child['id']}", headers=as_("operator"))).json()["nik"] == NIK

        assert (await rekey(settings))["children"] == 1
        async with database(app) as db:
            row = await db.fetchrow("SELECT full_name, nik, nik_index FROM children")
        assert row["full_name"].startswith("p1.k1.") and row["nik"].startswith("p1.k1.")
        assert row["nik_index"] == protector().index(NIK)


async def test_a_new_blind_index_key_is_applied_by_rekey(settings_with, issuer, as_):
    app = create_app(await settings_with("k1", current="k1"), verifier=issuer.verifier())
    async with running(app) as api:
        first = (await api.post("/api/v1/children", headers=as_("cadre"), json=child_payload())).json()
    renewed = await settings_with("k1", current="k1", index=base64.b64encode(os.urandom(32)).decode())
    assert (await rekey(renewed))["children"] == 1
    app = create_app(renewed, verifier=issuer.verifier())
    async with running(app) as api:
        twin = (await api.post("/api/v1/children", headers=as_("cadre"), json=child_payload(full_name="S."))).json()
        assert [d["child_id"] for d in twin["possible_duplicates"]] == [first["id"]]


def test_production_refuses_to_start_without_keys():
    with pytest.raises(ValueError, match="DATA_KEYS"):
        RegistrySettings(environment="production", secret_key="a-real-secret-of-some-length",
                         nats_seed_file="/run/secrets/registry.nk")


def test_sealing_many_at_once_gives_each_its_own_nonce_and_opens_back():
    sealer = Protector(keys={"k1": b"k" * 32}, current="k1", index_key=b"i" * 32)
    plaintexts = ["Siti Aminah", None, "Siti Aminah", "Budi", ""]
    sealed = sealer.seal_all(plaintexts)
    assert [sealer.open(value) for value in sealed] == plaintexts
    assert sealed[0] != sealed[2], "the same name sealed twice must not give the same ciphertext"
    nonces = [base64.b64decode(value.split(".", 2)[2])[:12] for value in sealed if value is not None]
    assert len(set(nonces)) == len(nonces)
    assert sealer.open(sealer.seal("Rina")) == "Rina" and sealer.seal(None) is None


async def test_children_without_name_sound_tags_are_still_found_and_rekey_gives_them_tags(settings_with, issuer, as_):
    """Children registered before the tags (issue 27) keep NULL until `rekey`: both duplicate checks
    read them by kecamatan and birth date meanwhile, and `rekey` computes their tags."""
    settings = await settings_with("k1", current="k1")
    app = create_app(settings, verifier=issuer.verifier())
    async with running(app) as api:
        first = (await api.post("/api/v1/children", headers=as_("cadre"), json=child_payload(nik=None))).json()
        async with database(app) as db:
            tags = await db.fetchval("SELECT name_sounds FROM children")
            await db.execute("UPDATE children SET name_sounds = NULL")  # as an older version of the service left it
        twin = (await api.post("/api/v1/children", headers=as_("cadre"),
                               json=child_payload(nik=None, full_name="Siti Aminnah"))).json()
        assert [d["child_id"] for d in twin["possible_duplicates"]] == [first["id"]]

        survey = (b"full_name,sex,birth_date,village_code,school_status\n"
                  b"Aminah Siti,female,2012-08-06,35.09.11.2007,in_school\n")
        upload = await api.post("/api/v1/imports", files={"file": ("survey.csv", survey)}, headers=as_("operator"),
                                data={"mode": "valid_rows_only"})
        url = f"/api/v1/imports/{upload.json()['id']}"
        done = await wait_until(lambda: _finished(api, url, as_("operator")), timeout=60, what="the import")
        assert done["duplicate_rows"] == 1

        assert (await rekey(settings))["children"] == 1, "only the child without tags is rewritten"
        async with database(app) as db:
            assert await db.fetchval("SELECT name_sounds FROM children WHERE id = $1", uuid.UUID(first["id"])) == tags


async def _finished(api, url: str, headers: dict) -> dict | None:
    body = (await api.get(url, headers=headers)).json()
    return body if body["status"] in ("completed", "failed") else None
