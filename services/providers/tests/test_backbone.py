"""Only a kabupaten's own operators name its backbone organisation, and it has one at most (issue 19,
point 2: a Jember operator made a Jember organisation the backbone of Lombok Timur and read a
Lombok child through it)."""

from __future__ import annotations


async def test_backbone_grab_across_kabupaten_is_refused(api, as_, organization, db):
    jember = await organization(name="Yayasan Jember")
    claimed = await api.post("/api/v1/organizations", headers=as_("operator", "35.09"), json={
        "name": "Yayasan Penakluk", "kind": "ngo", "regency_code": "35.09", "backbone_for": ["52.03"]})
    assert claimed.status_code == 403, claimed.text
    assert "52.03" in claimed.json()["detail"]
    read = await api.get(f"/api/v1/organizations/{jember['id']}", headers=as_("operator"))
    patched = await api.patch(f"/api/v1/organizations/{jember['id']}", json={"backbone_for": ["35.09", "52.03"]},
                              headers={**as_("operator", "35.09"), "If-Match": read.headers["ETag"]})
    assert patched.status_code == 403, patched.text
    assert await db.fetchval("SELECT count(*) FROM organizations WHERE '52.03' = ANY(backbone_for)") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox") == 1, "nothing announced but the first organisation"


async def test_a_kabupatens_operator_names_its_backbone_and_only_one(api, as_, organization, db):
    uptd = await organization(name="UPTD PPA Lombok Timur", regency="52.03", backbone_for=["52.03"])
    assert uptd["backbone_for"] == ["52.03"]
    second = await api.post("/api/v1/organizations", headers=as_("operator", "52.03"), json={
        "name": "Yayasan Kedua", "kind": "ngo", "regency_code": "52.03", "backbone_for": ["52.03"]})
    assert second.status_code == 409, second.text
    assert second.json()["existing_id"] == uptd["id"]
    # Only 52.03's operators may also take it away: Jember's cannot, even from a Jember organisation.
    jember = await organization(name="Yayasan Jember", backbone_for=["35.09"])
    read = await api.get(f"/api/v1/organizations/{uptd['id']}", headers=as_("admin"))
    moved = await api.patch(f"/api/v1/organizations/{uptd['id']}", json={"backbone_for": []},
                            headers={**as_("operator", "52.03"), "If-Match": read.headers["ETag"]})
    assert moved.status_code == 200 and moved.json()["backbone_for"] == []
    read = await api.get(f"/api/v1/organizations/{jember['id']}", headers=as_("admin"))
    taken = await api.patch(f"/api/v1/organizations/{jember['id']}", json={"backbone_for": ["35.09", "52.03"]},
                            headers={**as_("admin"), "If-Match": read.headers["ETag"]})
    assert taken.status_code == 200, "national admins name any kabupaten's backbone"


async def test_the_district_moves_its_backbone_to_another_organisation_in_one_step(api, as_, organization, db):
    """Issue 24, point 3: the rules page names the backbone; the old one is taken off and the new
    one named in one transaction, each announced for the engine's replica."""
    await organization(name="UPTD PPA Jember", backbone_for=["35.09"])
    new = await organization(name="LPA Jember")
    url = "/api/v1/backbones/35.09"
    seen = await api.get(url, headers=as_("cadre"))
    assert seen.status_code == 200 and seen.json()["organization_name"] == "UPTD PPA Jember", seen.text
    for who, place in (("operator", "52.03"), ("cadre", None), ("provider", None)):
        refused = await api.put(url, json={"organization_id": new["id"]}, headers=as_(who, place))
        assert refused.status_code == 403, who
    elsewhere = await organization(name="LPA Lombok", regency="52.03")
    wrong = await api.put(url, json={"organization_id": elsewhere["id"]}, headers=as_("operator"))
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "organization_id"

    moved = await api.put(url, json={"organization_id": new["id"]}, headers=as_("operator"))
    assert moved.status_code == 200 and moved.json()["organization_name"] == "LPA Jember"
    holders = await db.fetch("SELECT name FROM organizations WHERE '35.09' = ANY(backbone_for)")
    assert [h["name"] for h in holders] == ["LPA Jember"]
    announced = await db.fetch("SELECT envelope->'data'->>'organization_name' AS name, "
                               "envelope->'data'->'backbone_for' AS backbone FROM outbox "
                               "WHERE type = 'sprpa.organization.upserted.v1' ORDER BY position DESC LIMIT 2")
    assert {(a["name"], a["backbone"]) for a in announced} == {("UPTD PPA Jember", "[]"), ("LPA Jember", '["35.09"]')}
    none = await api.put(url, json={"organization_id": None}, headers=as_("operator"))
    assert none.status_code == 200 and none.json()["organization_id"] is None
    assert await db.fetchval("SELECT count(*) FROM organizations WHERE '35.09' = ANY(backbone_for)") == 0
