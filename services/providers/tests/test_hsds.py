"""Every HSDS document the directory serves validates against the official HSDS 3.0 schemas
(../shared/standards/hsds-3.0, draft 2020-12, format checking on), on a directory of 30+ organisations."""

from __future__ import annotations

import functools
import json
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from providers.hsds.mapping import term_id

STANDARD = Path(__file__).resolve().parents[4] / "shared" / "standards" / "hsds-3.0"
REGENCIES = ("35.09", "52.03", "52.08")
KINDS = ("ngo", "government_office", "school_pkbm", "health_facility", "legal_aid", "uptd_p2tp2a", "company")
CATEGORIES = ("education.equivalency", "legal.aid", "health.basic_check", "psychosocial.counselling",
              "skills.vocational_course", "civil.birth_certificate")


@functools.cache
def validator(name: str) -> Draft202012Validator:
    path = STANDARD / "schema" / f"{name}.json"
    assert path.exists(), f"the official HSDS schemas are expected at {STANDARD} (shared/ beside the repo)"
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(name: str, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(name).iter_errors(document)]


@pytest.fixture
async def directory(api, as_):
    """32 organisations over the three pilot kabupaten, with MOUs and offerings; some uncovered, some expired."""
    organizations = []
    for index in range(32):
        regency = REGENCIES[index % 3]
        headers = as_("operator", regency)
        org = await api.post("/api/v1/organizations", headers=headers, json={
            "name": f"Lembaga {index} (demo)", "kind": KINDS[index % len(KINDS)], "regency_code": regency,
            "contacts": {"person": f"Kontak {index}", "phone": "+62 370 600 1234",
                         **({"email": f"info{index}@lembaga.example.org"} if index % 2 else {})},
        })
        assert org.status_code == 201, org.text
        org = org.json()
        organizations.append(org)
        category = CATEGORIES[index % len(CATEGORIES)]
        if index % 5:  # every fifth has no MOU: its services are inactive
            until = "2027-06-30" if index % 7 else "2026-06-30"  # some expired
            mou = await api.post(f"/api/v1/organizations/{org['id']}/mous", headers=headers, json={
                "number": f"MOU/{index}/2026", "regency_code": regency, "signed_date": "2026-01-05",
                "valid_from": "2026-01-10", "valid_until": until, "service_categories": [category]})
            assert mou.status_code == 201, mou.text
        offering = {"organization_id": org["id"], "category": category, "name": f"Layanan {category} {index}",
                    "regency_code": regency, "min_age": 6, "max_age": 17, "capacity": 10,
                    "languages": ["id", "sas" if regency != "35.09" else "jv"], "schedule": "Senin-Jumat 08:00-15:00"}
        if category == "skills.vocational_course":
            offering["course_type"] = "tailoring"
        if index % 4 == 0:
            offering["service_area"] = [f"{regency}.{'11' if regency == '35.09' else '02'}"]
        response = await api.post("/api/v1/services", headers=headers, json=offering)
        assert response.status_code == 201, response.text
    return organizations


async def test_every_document_validates_against_the_official_schemas(api, as_, directory):
    headers = as_("cadre")
    services = (await api.get("/api/v1/hsds/services", params={"per_page": 200}, headers=headers)).json()
    assert services["total_items"] == 32 and services["size"] == 32
    problems = []
    for item in services["contents"]:
        problems += errors("service_list", item)
        full = (await api.get(f"/api/v1/hsds/services/{item['id']}", headers=headers)).json()
        problems += errors("service", full)
        sal = (await api.get(f"/api/v1/hsds/service_at_locations/{item['id']}", headers=headers)).json()
        problems += errors("service_at_location", sal)
    organizations = (await api.get("/api/v1/hsds/organizations", params={"per_page": 100}, headers=headers)).json()
    assert organizations["total_items"] == 32
    for item in organizations["contents"]:
        problems += errors("organization_list", item)
        problems += errors("organization", (await api.get(f"/api/v1/hsds/organizations/{item['id']}",
                                                          headers=headers)).json())
    sals = (await api.get("/api/v1/hsds/service_at_locations", params={"per_page": 200}, headers=headers)).json()
    for item in sals["contents"]:
        problems += errors("service_at_location_list", item)
    assert problems == []


async def test_the_feed_says_what_referrals_need_and_nothing_internal(api, as_, directory):
    headers = as_("cadre")
    services = (await api.get("/api/v1/hsds/services", params={"per_page": 200}, headers=headers)).json()["contents"]
    statuses = {s["status"] for s in services}
    assert statuses == {"active", "inactive"}, "services without a covering MOU today are inactive"
    full = (await api.get(f"/api/v1/hsds/services/{services[0]['id']}", headers=headers)).json()
    text = json.dumps(full)
    assert "capacity" not in text and "open_referrals" not in text
    catalogue_attributes = [a for a in full["attributes"] if a["link_type"] == "service_type"]
    assert len(catalogue_attributes) == 1 and catalogue_attributes[0]["taxonomy_term"]["code"] in CATEGORIES
    assert all(area["extent_type"] == "kemendagri_region_code" for area in full["service_areas"])
    assert full["minimum_age"] == 6 and full["maximum_age"] == 17


async def test_hsds_query_parameters(api, as_, directory):
    headers = as_("cadre")
    legal = (await api.get("/api/v1/hsds/services", params={"taxonomy_term_id": term_id("legal.aid")},
                           headers=headers)).json()
    assert legal["total_items"] > 0 and all("legal.aid" in s["name"] for s in legal["contents"])
    org = directory[3]
    own = (await api.get("/api/v1/hsds/services", params={"organization_id": org["id"]}, headers=headers)).json()
    assert [s["organization_id"] for s in own["contents"]] == [org["id"]]
    page2 = (await api.get("/api/v1/hsds/services", params={"per_page": 10, "page": 4}, headers=headers)).json()
    assert (page2["page_number"], page2["size"], page2["last_page"], page2["total_pages"]) == (4, 2, True, 4)
    found = (await api.get("/api/v1/hsds/services", params={"search": "Layanan legal.aid"}, headers=headers)).json()
    assert found["total_items"] == legal["total_items"]
    later = (await api.get("/api/v1/hsds/services", params={"modified_after": "2099-01-01T00:00:00Z"},
                           headers=headers)).json()
    assert later["empty"] is True
    bad = await api.get("/api/v1/hsds/services", params={"taxonomy_term_id": str(uuid.uuid4())}, headers=headers)
    assert bad.status_code == 422
    terms = (await api.get("/api/v1/hsds/taxonomy_terms", headers=headers)).json()
    assert terms["total_items"] == 21
    assert (await api.get("/api/v1/hsds/services")).status_code == 401
