"""The official region list and name resolution, with the MOU's spellings of the pilot villages."""

import pytest

PILOT = [  # MOU spelling, kecamatan, kabupaten, official code (DOMAIN.md)
    ("Kesilir", "Wuluhan", "Jember", "35.09.11.2007"),
    ("Wringintelu", "Puger", "Jember", "35.09.08.2005"),
    ("Sukoreno", "Kalisat", "Jember", "35.09.27.2002"),
    ("Patempuran", "Kalisat", "Jember", "35.09.27.2003"),
    ("Pandanwangi", "Jerowaru", "Lombok Timur", "52.03.20.2006"),
    ("Borok Toyang", "Sakra Barat", "Lombok Timur", "52.03.19.2006"),
    ("Genggeling", "Gangga", "Lombok Utara", "52.08.02.2003"),
    ("Seelos", "Gangga", "Lombok Utara", "52.08.02.2006"),
]


async def test_the_whole_official_list_is_loaded_with_its_attribution(db):
    counts = dict(await db.fetch("SELECT level, count(*) FROM regions GROUP BY level"))
    assert counts == {1: 38, 2: 514, 3: 7285, 4: 83762}
    dataset = await db.fetchrow("SELECT package, version, licence, attribution FROM region_datasets")
    assert (dataset["package"], dataset["version"], dataset["licence"]) == ("idn-area-data", "4.0.1", "ODbL-1.0")


async def test_browse_from_province_to_village(api, as_):
    provinces = (await api.get("/api/v1/regions", headers=as_("cadre"))).json()["items"]
    assert len(provinces) == 38 and {"code": "35", "level": "province", "parent_code": None,
                                      "name": "Jawa Timur"} in provinces
    districts = (await api.get("/api/v1/regions", params={"parent": "35.09"}, headers=as_("cadre"))).json()["items"]
    assert any(d["code"] == "35.09.11" and d["name"] == "Wuluhan" for d in districts)
    detail = (await api.get("/api/v1/regions/35.09.11.2007", headers=as_("cadre"))).json()
    assert detail["name"] == "Kesilir" and detail["level"] == "village" and detail["children"] == []
    assert [p["name"] for p in detail["parents"]] == ["Wuluhan", "Kabupaten Jember", "Jawa Timur"]


async def test_unknown_or_malformed_codes(api, as_):
    assert (await api.get("/api/v1/regions/35.09.99.9999", headers=as_("cadre"))).status_code == 404
    bad = await api.get("/api/v1/regions", params={"parent": "Jember"}, headers=as_("cadre"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "parent"
    assert (await api.get("/api/v1/regions")).status_code == 401


@pytest.mark.parametrize(("name", "district", "regency", "code"), PILOT)
async def test_pilot_villages_resolve_from_the_mou_spelling(api, as_, name, district, regency, code):
    response = await api.get("/api/v1/regions/resolve", params={"name": name, "district": district,
                                                                "regency": regency}, headers=as_("cadre"))
    body = response.json()
    assert body["best"] == code, body
    assert body["ambiguous"] is False


async def test_a_name_alone_is_ambiguous_until_a_kecamatan_is_given(api, as_):
    body = (await api.get("/api/v1/regions/resolve", params={"name": "Sukoreno", "regency": "Jember"},
                          headers=as_("cadre"))).json()
    assert body["ambiguous"] is True and body["best"] is None
    assert {c["code"] for c in body["candidates"]} == {"35.09.05.2001", "35.09.27.2002"}
    assert {c["parents"][0] for c in body["candidates"]} == {"Umbulsari", "Kalisat"}

    within = (await api.get("/api/v1/regions/resolve", params={"name": "Pandanwangi", "within": "35.08"},
                            headers=as_("cadre"))).json()
    assert within["best"] == "35.08.05.2001"


async def test_resolves_regencies_and_districts_too(api, as_):
    regency = (await api.get("/api/v1/regions/resolve", params={"name": "Kab. Lombok Utara", "level": "regency"},
                             headers=as_("cadre"))).json()
    assert regency["best"] == "52.08"
    district = (await api.get("/api/v1/regions/resolve", params={"name": "Sakra  barat", "level": "district",
                                                                 "regency": "Lombok Timur"},
                              headers=as_("cadre"))).json()
    assert district["best"] == "52.03.19"


async def test_a_place_written_with_its_parents_in_one_string_resolves(api, as_):
    """Issue 25, point 8: "Pandanwangi, Jerowaru" as people write it, and "no match" said plainly."""
    one = (await api.get("/api/v1/regions/resolve", params={"name": "Pandanwangi, Jerowaru"},
                         headers=as_("cadre"))).json()
    assert one["match"] == "one" and one["best"].startswith("52.03.") and one["ambiguous"] is False
    assert one["detail"] == f"Pandan Wangi ({one['best']})", "the official spelling"
    several = (await api.get("/api/v1/regions/resolve", params={"name": "Pandanwangi"},
                             headers=as_("cadre"))).json()
    assert several["match"] == "several" and several["best"] is None and "comma" in several["detail"]
    kecamatan = (await api.get("/api/v1/regions/resolve", params={"name": "Sukoreno, Kalisat, Jember"},
                               headers=as_("cadre"))).json()
    assert kecamatan["best"] == "35.09.27.2002"
    none = (await api.get("/api/v1/regions/resolve", params={"name": "Atlantis"}, headers=as_("cadre"))).json()
    assert none == {"query": "Atlantis", "match": "none", "detail": "no official village is named like 'Atlantis'",
                    "ambiguous": False, "best": None, "candidates": []}
    elsewhere = (await api.get("/api/v1/regions/resolve", params={"name": "Pandanwangi, Wuluhan"},
                               headers=as_("cadre"))).json()
    assert elsewhere["match"] == "none" and elsewhere["detail"].endswith("there")
    too_many = await api.get("/api/v1/regions/resolve", params={"name": "Kesilir, Wuluhan, Jember, Jatim, ID"},
                             headers=as_("cadre"))
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "name"
