"""Organisations, MOUs and the catalogue through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sprpa_contracts.catalogue import SERVICE_CODES

MOU = {"number": "400/123/35.09/2026", "regency_code": "35.09", "signed_date": "2026-01-10",
       "valid_from": "2026-02-01", "valid_until": "2027-01-31",
       "service_categories": ["education.equivalency", "legal.aid"]}


async def test_catalogue_lists_every_code_in_both_languages(api, as_):
    categories = (await api.get("/api/v1/service-categories", headers=as_("cadre"))).json()["items"]
    assert {c["code"] for c in categories} == SERVICE_CODES and len(categories) == 21
    birth = next(c for c in categories if c["code"] == "civil.birth_certificate")
    assert (birth["group"], birth["label_id"]) == ("civil", "Akta kelahiran")
    assert (await api.get("/api/v1/service-categories")).status_code == 401


async def test_operator_registers_an_organisation_and_the_same_name_again_is_refused(api, as_, organization, db):
    first = await organization()
    again = await api.post("/api/v1/organizations", json={"name": "  yayasan pembinaan sosial-masyarakat ",
                                                          "kind": "ngo", "regency_code": "35.09"},
                           headers=as_("operator"))
    assert again.status_code == 409 and again.json()["existing_id"] == first["id"]
    elsewhere = await organization(regency="52.03")  # the same name in another kabupaten is another organisation
    assert elsewhere["id"] != first["id"]
    event = await db.fetchrow("SELECT type, subject FROM outbox ORDER BY position LIMIT 1")
    assert (event["type"], event["subject"]) == ("sprpa.organization.upserted.v1",
                                                 "sprpa.providers.organization.upserted.35.09")


async def test_only_managers_of_the_kabupaten_change_the_directory(api, as_, organization):
    body = {"name": "LBH Jember", "kind": "legal_aid", "regency_code": "35.09"}
    for who, place in (("operator", "52.03"), ("provider", None), ("cadre", None)):
        assert (await api.post("/api/v1/organizations", json=body, headers=as_(who, place))).status_code == 403
    org = await organization()
    for who, place in (("operator", "52.03"), ("provider", None)):
        response = await api.post(f"/api/v1/organizations/{org['id']}/mous", json=MOU, headers=as_(who, place))
        assert response.status_code == 403
    assert (await api.post(f"/api/v1/organizations/{org['id']}/mous", json=MOU,
                           headers=as_("admin"))).status_code == 201


async def test_mou_status_follows_the_dates(api, as_, organization, clock):
    org = await organization()
    mou = (await api.post(f"/api/v1/organizations/{org['id']}/mous", json=MOU, headers=as_("operator"))).json()
    assert mou["status"] == "active"
    url = f"/api/v1/organizations/{org['id']}/mous"
    clock.set(clock.now().replace(year=2027, month=2, day=1))
    assert (await api.get(url, headers=as_("cadre"))).json()["items"][0]["status"] == "expired"
    clock.set(clock.now().replace(year=2026, month=1, day=20))
    assert (await api.get(url, headers=as_("cadre"))).json()["items"][0]["status"] == "pending"


async def test_terminating_an_mou(api, as_, organization, db):
    org = await organization()
    mou = (await api.post(f"/api/v1/organizations/{org['id']}/mous", json=MOU, headers=as_("operator"))).json()
    url = f"/api/v1/organizations/{org['id']}/mous/{mou['id']}/terminate"
    ended = await api.post(url, json={"terminated_on": "2026-11-23", "reason": "provider closed its shelter"},
                           headers=as_("operator"))
    assert ended.json()["status"] == "terminated"
    assert (await api.post(url, json={"terminated_on": "2026-11-23", "reason": "again and again"},
                           headers=as_("operator"))).status_code == 409
    types = [r["type"] for r in await db.fetch("SELECT type FROM outbox ORDER BY position")]
    assert types == ["sprpa.organization.upserted.v1", "sprpa.mou.changed.v1", "sprpa.mou.changed.v1"]


async def test_renewing_an_mou_continues_it_from_the_day_after_it_ends(api, as_, organization, db, clock):
    """Issue 24, point 3: MOU renewal had no page and no API; a district re-typed the whole MOU."""
    org = await organization()
    mou = (await api.post(f"/api/v1/organizations/{org['id']}/mous", json=MOU, headers=as_("operator"))).json()
    url = f"/api/v1/organizations/{org['id']}/mous/{mou['id']}/renew"
    body = {"number": "MOU-2027/JBR", "signed_date": "2026-11-20", "valid_until": "2028-01-31"}
    assert (await api.post(url, json=body, headers=as_("operator", "52.03"))).status_code == 403
    short = await api.post(url, json={**body, "valid_until": "2027-01-15"}, headers=as_("operator"))
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "valid_until"
    renewed = await api.post(url, json=body, headers={**as_("operator"), "Idempotency-Key": "renew-1"})
    assert renewed.status_code == 201, renewed.text
    new = renewed.json()
    assert (new["valid_from"], new["valid_until"], new["regency_code"], new["renews_id"]) == (
        "2027-02-01", "2028-01-31", mou["regency_code"], mou["id"])
    assert new["service_categories"] == mou["service_categories"] and new["status"] == "pending"
    replay = await api.post(url, json=body, headers={**as_("operator"), "Idempotency-Key": "renew-1"})
    assert replay.json()["id"] == new["id"]
    again = await api.post(url, json={**body, "number": "MOU-LAIN"}, headers=as_("operator"))
    assert again.status_code == 409, "an MOU is renewed once"
    read = await api.get(renewed.headers["location"], headers=as_("cadre"))
    assert read.status_code == 200 and read.json()["renews_id"] == mou["id"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"valid_until": "2026-01-01"}, "valid_until"),
        ({"service_categories": ["education.university"]}, "service_categories"),
        ({"service_categories": []}, "service_categories"),
        ({"regency_code": "35.99"}, "regency_code"),  # well formed, not official
        ({"regency_code": "Jember"}, "regency_code"),
        ({"signed_date": "2026-12-24"}, "signed_date"),
        ({"status": "active"}, "status"),
    ],
)
async def test_bad_mous_are_problems_and_change_nothing(api, as_, organization, db, overrides, field):
    org = await organization()
    response = await api.post(f"/api/v1/organizations/{org['id']}/mous", json={**MOU, **overrides},
                              headers=as_("admin"))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await db.fetchval("SELECT count(*) FROM mous") == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X Y", "kind": "church", "regency_code": "35.09"}, "kind"),
        ({"name": "X Y", "kind": "ngo", "regency_code": "35.99"}, "regency_code"),
        ({"name": "X Y", "kind": "ngo", "regency_code": "35.09", "backbone_for": ["Jember"]}, "backbone_for"),
        ({"name": "X Y", "kind": "ngo", "regency_code": "35.09", "contacts": {"email": "not-an-email"}},
         "contacts.email"),
        ({"name": "LBH \u202eregmeJ", "kind": "ngo", "regency_code": "35.09"}, "name"),  # bidi override
        ({"name": "LBH Jember", "kind": "ngo", "regency_code": "35.09", "contacts": {"person": "Budi\x1b[2J"}},
         "contacts.person"),  # a terminal escape
    ],
)
async def test_bad_organisations_are_problems(api, as_, db, body, field):
    response = await api.post("/api/v1/organizations", json=body, headers=as_("admin"))
    assert response.status_code == 422 and field in [e["field"] for e in response.json()["errors"]]
    assert await db.fetchval("SELECT count(*) FROM organizations") == 0


async def test_directory_lists_by_kabupaten_and_kind_with_a_cursor(api, as_, organization, clock):
    made = []
    for index in range(3):
        made.append(await organization(name=f"PKBM Harapan {index}", kind="school_pkbm"))
        clock.advance(timedelta(seconds=1))
    await organization(name="LBH Lombok", regency="52.03", kind="legal_aid")
    first = (await api.get("/api/v1/organizations", params={"regency_code": "35.09", "limit": 2},
                           headers=as_("cadre"))).json()
    second = (await api.get("/api/v1/organizations", params={"regency_code": "35.09", "limit": 2,
                                                             "cursor": first["next_cursor"]},
                            headers=as_("cadre"))).json()
    assert [o["id"] for o in first["items"] + second["items"]] == [o["id"] for o in made]
    assert second["next_cursor"] is None
    legal = (await api.get("/api/v1/organizations", params={"kind": "legal_aid"}, headers=as_("cadre"))).json()
    assert [o["name"] for o in legal["items"]] == ["LBH Lombok"]


async def test_operators_update_organisations_with_if_match(api, as_, organization, db):
    org = await organization()
    other = await organization(name="LBH Jember", kind="legal_aid")
    url = f"/api/v1/organizations/{org['id']}"
    etag = (await api.get(url, headers=as_("cadre"))).headers["ETag"]
    assert etag == '"1"'
    change = {"contacts": {"person": "Ibu Ani", "email": "ani@ypsm.example.org"}, "backbone_for": ["35.09"]}
    assert (await api.patch(url, json=change, headers=as_("operator"))).status_code == 428
    updated = await api.patch(url, json=change, headers={**as_("operator"), "If-Match": etag})
    assert updated.status_code == 200 and updated.headers["ETag"] == '"2"'
    assert updated.json()["backbone_for"] == ["35.09"]
    stale = await api.patch(url, json={"kind": "company"}, headers={**as_("operator"), "If-Match": etag})
    assert stale.status_code == 412
    clash = await api.patch(url, json={"name": "lbh  jember"}, headers={**as_("operator"), "If-Match": '"2"'})
    assert clash.status_code == 409 and clash.json()["existing_id"] == other["id"]
    for who, place in (("operator", "52.03"), ("provider", None)):
        response = await api.patch(url, json={"kind": "company"}, headers={**as_(who, place), "If-Match": '"2"'})
        assert response.status_code == 403
    bad = await api.patch(url, json={"backbone_for": ["35.99"]}, headers={**as_("operator"), "If-Match": '"2"'})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "backbone_for.0"
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.organization.upserted.v1'") == 3


async def test_creates_honour_an_idempotency_key(api, as_, db):
    """Issue 19, point 9: a retried create makes one organisation, one MOU and one service."""
    headers = {**as_("operator"), "Idempotency-Key": "org-lbh-1"}
    body = {"name": "LBH Jember", "kind": "legal_aid", "regency_code": "35.09"}
    first = await api.post("/api/v1/organizations", json=body, headers=headers)
    again = await api.post("/api/v1/organizations", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await api.post("/api/v1/organizations", json={**body, "name": "LBH Lain"}, headers=headers)
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    org = first.json()["id"]
    signed = [await api.post(f"/api/v1/organizations/{org}/mous", json=MOU,
                             headers={**as_("operator"), "Idempotency-Key": "mou-1"}) for _ in range(2)]
    assert signed[0].json()["id"] == signed[1].json()["id"]
    service = {"organization_id": org, "category": "legal.aid", "name": "Bantuan hukum", "regency_code": "35.09",
               "capacity": 10}
    offered = [await api.post("/api/v1/services", json=service,
                              headers={**as_("operator"), "Idempotency-Key": "svc-1"}) for _ in range(2)]
    assert offered[0].status_code == 201, offered[0].text
    assert offered[0].json()["id"] == offered[1].json()["id"]
    assert [await db.fetchval(f"SELECT count(*) FROM {table}") for table in ("organizations", "mous", "offerings")] \
        == [1, 1, 1]
