"""Every HSDS document the directory serves validates against the official HSDS 3.0 schemas
(../shared/standards/hsds-3.0, draft 2020-12, format checking on), on a directory of 30+ organisations."""

from __future__ import annotations

import functools
import json
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from providers import demo
from providers.hsds.mapping import term_id
from sprpa_contracts.catalogue import SERVICE_CODES
from sprpa_shared.db import transaction

STANDARD = Path(__file__).resolve().parents[4] / "shared" / "standards" / "hsds-3.0"


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
async def directory(providers_app, clock, db) -> dict:
    """The demo directory (loaded explicitly): 36 organisations over the three pilot kabupaten, uneven
    coverage, some MOUs expired or missing."""
    async with transaction(providers_app.state.sessions) as session:
        created = await demo.load(session, now=clock.now())
    assert created >= 30
    return {"organizations": created, "services": await db.fetchval("SELECT count(*) FROM offerings"),
            "some_org": str(await db.fetchval("SELECT id FROM organizations ORDER BY name LIMIT 1"))}


async def test_every_document_validates_against_the_official_schemas(api, as_, directory):
    headers = as_("cadre")
    services = (await api.get("/api/v1/hsds/services", params={"per_page": 200}, headers=headers)).json()
    assert services["total_items"] == directory["services"] == services["size"]
    problems = []
    for item in services["contents"]:
        problems += errors("service_list", item)
        full = (await api.get(f"/api/v1/hsds/services/{item['id']}", headers=headers)).json()
        problems += errors("service", full)
        sal = (await api.get(f"/api/v1/hsds/service_at_locations/{item['id']}", headers=headers)).json()
        problems += errors("service_at_location", sal)
    organizations = (await api.get("/api/v1/hsds/organizations", params={"per_page": 100}, headers=headers)).json()
    assert organizations["total_items"] == directory["organizations"]
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
    assert len(catalogue_attributes) == 1 and catalogue_attributes[0]["taxonomy_term"]["code"] in SERVICE_CODES
    assert all(area["extent_type"] == "kemendagri_region_code" for area in full["service_areas"])
    assert full["maximum_age"] == 17


async def test_hsds_query_parameters(api, as_, directory):
    headers = as_("cadre")
    legal = (await api.get("/api/v1/hsds/services", params={"taxonomy_term_id": term_id("legal.aid")},
                           headers=headers)).json()
    assert legal["total_items"] > 0 and all(s["name"].startswith("aid - ") for s in legal["contents"])
    own = (await api.get("/api/v1/hsds/services", params={"organization_id": directory["some_org"]},
                         headers=headers)).json()
    assert own["total_items"] > 0 and {s["organization_id"] for s in own["contents"]} == {directory["some_org"]}
    total = directory["services"]
    last = -(-total // 10)
    page = (await api.get("/api/v1/hsds/services", params={"per_page": 10, "page": last}, headers=headers)).json()
    assert (page["page_number"], page["size"], page["last_page"], page["total_pages"]) == (
        last, total - 10 * (last - 1), True, last)
    found = (await api.get("/api/v1/hsds/services", params={"search": "LBH"}, headers=headers)).json()
    assert found["total_items"] == 3, "one legal aid institute in each kabupaten"
    later = (await api.get("/api/v1/hsds/services", params={"modified_after": "2099-01-01T00:00:00Z"},
                           headers=headers)).json()
    assert later["empty"] is True
    bad = await api.get("/api/v1/hsds/services", params={"taxonomy_term_id": str(uuid.uuid4())}, headers=headers)
    assert bad.status_code == 422
    terms = (await api.get("/api/v1/hsds/taxonomy_terms", headers=headers)).json()
    assert terms["total_items"] == 21
    assert (await api.get("/api/v1/hsds/services")).status_code == 401
