"""Offerings, capacity and search with exclusion reasons, through the API."""

from __future__ import annotations

import uuid

import pytest

from sprpa_shared.auth.principal import Role

ACTIVE = {"number": "MOU-1", "regency_code": "35.09", "signed_date": "2026-01-10", "valid_from": "2026-02-01",
          "valid_until": "2027-01-31", "service_categories": ["education.equivalency", "skills.vocational_course"]}


@pytest.fixture
async def pkbm(api, as_, organization):
    org = await organization(name="PKBM Harapan Bangsa", kind="school_pkbm")
    assert (await api.post(f"/api/v1/organizations/{org['id']}/mous", json=ACTIVE,
                           headers=as_("operator"))).status_code == 201
    return org


def offering(org: dict, **overrides) -> dict:
    return {"organization_id": org["id"], "category": "education.equivalency", "name": "Kejar Paket B",
            "regency_code": "35.09", "service_area": ["35.09.11"], "min_age": 13, "max_age": 17, "capacity": 20,
            **overrides}


async def test_search_lists_only_eligible_offerings_and_says_why_others_are_not(api, as_, organization, pkbm, clock):
    no_mou = await organization(name="Sanggar Tanpa MOU", kind="ngo")
    ok = (await api.post("/api/v1/services", json=offering(pkbm), headers=as_("operator"))).json()
    girls = (await api.post("/api/v1/services", json=offering(pkbm, name="Paket B putri", sexes=["female"],
                                                              service_area=[]), headers=as_("operator"))).json()
    orphan = (await api.post("/api/v1/services", json=offering(no_mou, name="Belajar bersama"),
                             headers=as_("operator"))).json()
    params = {"regency_code": "35.09", "category": "education.equivalency", "age": 14, "sex": "male",
              "village_code": "35.09.11.2007", "explain": "true"}
    result = (await api.get("/api/v1/services", params=params, headers=as_("cadre"))).json()
    assert [o["id"] for o in result["items"]] == [ok["id"]]
    reasons = {e["offering"]["id"]: e["reasons"] for e in result["excluded"]}
    assert reasons == {girls["id"]: ["sex_not_served"], orphan["id"]: ["no_mou"]}

    clock.set(clock.now().replace(year=2027, month=2, day=1))
    expired = (await api.get("/api/v1/services", params=params, headers=as_("cadre"))).json()
    assert expired["items"] == [] and reasons_of(expired, ok["id"]) == ["mou_expired"]


def reasons_of(result: dict, offering_id: str) -> list[str]:
    return next(e["reasons"] for e in result["excluded"] if e["offering"]["id"] == offering_id)


async def test_capacity_is_kept_by_the_providers_own_staff(api, as_, issuer, pkbm, db):
    created = (await api.post("/api/v1/services", json=offering(pkbm), headers=as_("operator"))).json()
    url = f"/api/v1/services/{created['id']}/capacity"
    own = issuer.headers(Role.PROVIDER_STAFF, org=uuid.UUID(pkbm["id"]))
    assert (await api.put(url, json={"capacity": 0}, headers=own)).json()["capacity"] == 0
    for outsider in (as_("provider"), as_("operator", "52.03"), as_("cadre")):
        assert (await api.put(url, json={"capacity": 5}, headers=outsider)).status_code == 403
    assert (await api.put(url, json={"capacity": -1}, headers=own)).status_code == 422
    full = (await api.get("/api/v1/services", params={"regency_code": "35.09", "explain": "true"},
                          headers=as_("cadre"))).json()
    assert full["items"] == [] and reasons_of(full, created["id"]) == ["no_capacity"]
    capacities = [r["capacity"] for r in await db.fetch(
        "SELECT (envelope->'data'->>'capacity')::int AS capacity FROM outbox WHERE type = 'sprpa.offering.changed.v1' "
        "ORDER BY position")]
    assert capacities == [20, 0]


async def test_removed_offerings_disappear(api, as_, pkbm):
    created = (await api.post("/api/v1/services", json=offering(pkbm), headers=as_("operator"))).json()
    assert (await api.delete(f"/api/v1/services/{created['id']}", headers=as_("provider"))).status_code == 403
    assert (await api.delete(f"/api/v1/services/{created['id']}", headers=as_("operator"))).status_code == 204
    assert (await api.get(f"/api/v1/services/{created['id']}", headers=as_("cadre"))).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "education.university"}, "category"),
        ({"min_age": 15, "max_age": 13}, "max_age"),
        ({"capacity": -3}, "capacity"),
        ({"service_area": ["52.03.20"]}, "service_area"),  # another kabupaten
        ({"category": "skills.vocational_course"}, "course_type"),
        ({"course_type": "cooking"}, "course_type"),
        ({"regency_code": "35.9"}, "regency_code"),
        ({"sexes": ["girls"]}, "sexes.0"),
    ],
)
async def test_bad_offerings_are_problems_and_change_nothing(api, as_, pkbm, db, overrides, field):
    response = await api.post("/api/v1/services", json=offering(pkbm, **overrides), headers=as_("operator"))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await db.fetchval("SELECT count(*) FROM offerings") == 0


async def test_vocational_courses_carry_their_course_type(api, as_, pkbm):
    created = await api.post("/api/v1/services", json=offering(
        pkbm, category="skills.vocational_course", name="Kursus tata boga", course_type="cooking"),
        headers=as_("operator"))
    assert created.status_code == 201 and created.json()["course_type"] == "cooking"


async def test_offerings_of_unknown_organisations_and_desa_outside_the_kabupaten(api, as_, pkbm):
    assert (await api.post("/api/v1/services", json=offering({"id": str(uuid.uuid4())}),
                           headers=as_("operator"))).status_code == 404
    outside = await api.get("/api/v1/services", params={"regency_code": "35.09", "category": "legal.aid",
                                                        "village_code": "52.03.20.2006"}, headers=as_("cadre"))
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "village_code"
