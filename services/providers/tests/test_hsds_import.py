"""Importing another directory's HSDS 3.0 documents: the official example, and our own export."""

from __future__ import annotations

import json
from pathlib import Path

STANDARD = Path(__file__).resolve().parents[4] / "shared" / "standards" / "hsds-3.0"
EXAMPLE = STANDARD / "examples" / "organization_full.json"


def example() -> dict:
    assert EXAMPLE.exists(), f"the official HSDS examples are expected at {EXAMPLE}"
    return json.loads(EXAMPLE.read_text())


async def test_the_official_example_imports_with_a_category_map(api, as_, db):
    body = {"regency_code": "35.09", "organizations": [example()]}
    unmapped = (await api.post("/api/v1/hsds/import", json=body, headers=as_("operator"))).json()
    assert (unmapped["organizations_created"], unmapped["services_created"]) == (1, 0)
    assert unmapped["skipped"] == [{"service": "Community Counselling", "reason": "no_catalogue_code"}]

    mapped = (await api.post("/api/v1/hsds/import", headers=as_("operator"),
                             json={**body, "category_map": {"code": "psychosocial.counselling"}})).json()
    assert (mapped["organizations_created"], mapped["organizations_matched"], mapped["services_created"]) == (0, 1, 1)
    offering = await db.fetchrow("SELECT category, min_age, max_age, capacity, service_area FROM offerings")
    assert dict(offering) == {"category": "psychosocial.counselling", "min_age": 12, "max_age": 17, "capacity": 0,
                              "service_area": []}, "ages clamped to childhood; capacity waits for the provider"
    org = await db.fetchrow("SELECT name, contacts FROM organizations")
    assert org["name"] == "Example Organization Inc." and json.loads(org["contacts"])["email"] == "email@example.com"

    again = (await api.post("/api/v1/hsds/import", headers=as_("operator"),
                            json={**body, "category_map": {"code": "psychosocial.counselling"}})).json()
    assert again["services_created"] == 0 and again["skipped"][0]["reason"] == "already_imported"


async def test_our_own_export_round_trips_into_another_kabupaten(api, as_, organization):
    org = await organization(name="PKBM Nusantara", kind="school_pkbm")
    await api.post("/api/v1/services", headers=as_("operator"), json={
        "organization_id": org["id"], "category": "education.equivalency", "name": "Kejar Paket C",
        "regency_code": "35.09", "min_age": 15, "max_age": 17, "capacity": 12, "languages": ["id", "jv"]})
    exported = (await api.get(f"/api/v1/hsds/organizations/{org['id']}", headers=as_("cadre"))).json()
    result = (await api.post("/api/v1/hsds/import", headers=as_("operator", "52.03"),
                             json={"regency_code": "52.03", "kind": "school_pkbm", "organizations": [exported]})).json()
    assert (result["organizations_created"], result["services_created"], result["skipped"]) == (1, 1, [])
    imported = (await api.get("/api/v1/services", params={"regency_code": "52.03", "explain": "true"},
                              headers=as_("cadre"))).json()
    (only,) = imported["excluded"]
    assert (only["offering"]["name"], only["offering"]["min_age"], only["offering"]["languages"]) == (
        "Kejar Paket C", 15, ["id", "jv"])
    assert only["reasons"] == ["no_mou", "no_capacity"], "imported providers need an MOU and a capacity first"


async def test_only_the_kabupaten_managers_import_and_bad_maps_are_refused(api, as_):
    body = {"regency_code": "35.09", "organizations": [example()]}
    for who, place in (("operator", "52.03"), ("provider", None), ("cadre", None)):
        assert (await api.post("/api/v1/hsds/import", json=body, headers=as_(who, place))).status_code == 403
    bad = await api.post("/api/v1/hsds/import", headers=as_("admin"),
                         json={**body, "category_map": {"code": "education.university"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "category_map"
