"""Incremental sync without webhooks: every list another system polls (children, visits, cases,
referrals, organisations) takes `updated_since` and returns what changed since, oldest change first,
page by page with a cursor; the last seconds wait (SYNC_SETTLE_SECONDS) so that a late commit is
never skipped; merged and erased records come once more so the poller can drop its copy."""

from __future__ import annotations

from datetime import datetime, timedelta

from registry.testing import child_payload, erase_confirmed
from tests.end_to_end.conftest import ASSESSMENT
from tests.end_to_end.test_referral_loop import closed_loop

SETTLE = timedelta(seconds=10)  # the default SYNC_SETTLE_SECONDS


async def _changes(client, path: str, headers: dict, since, **params) -> list[dict]:
    """Every item of a list of changes, read one item per page (the cursor is what carries on)."""
    items, cursor = [], None
    while True:
        response = await client.get(path, headers=headers, params={
            "updated_since": since.isoformat(), "limit": 1, **params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_children_come_in_the_order_they_changed_once_settled(system, as_):
    registry, operator, clock = system.registry, as_("operator"), system.apps["registry"].state.clock
    start = clock.now()
    first = (await registry.post("/api/v1/children", json=child_payload(), headers=as_("cadre"))).json()
    clock.advance(timedelta(minutes=1))
    second = (await registry.post("/api/v1/children", json=child_payload(full_name="Rina Wati", nik=None),
                                  headers=as_("cadre"))).json()
    clock.advance(timedelta(minutes=1))
    changed = await registry.patch(f"/api/v1/children/{first['id']}", json={"school_status": "out_of_school"},
                                   headers={**operator, "If-Match": f'"{first["version"]}"'})
    assert changed.status_code == 200, changed.text

    since = start + timedelta(seconds=30)
    listed = await _changes(registry, "/api/v1/children", operator, since)
    assert [c["id"] for c in listed] == [second["id"]], "the change of the last seconds waits for the next poll"
    clock.advance(SETTLE)
    listed = await _changes(registry, "/api/v1/children", operator, since)
    assert [(c["id"], c["version"]) for c in listed] == [(second["id"], 1), (first["id"], 2)], "oldest change first"
    assert [c["id"] for c in await _changes(registry, "/api/v1/children", operator, start)] == \
        [second["id"], first["id"]]
    newest = datetime.fromisoformat(listed[-1]["updated_at"])
    assert [c["id"] for c in await _changes(registry, "/api/v1/children", operator, newest)] == [first["id"]], \
        "the last item read comes once more, nothing else"
    assert await _changes(registry, "/api/v1/children", operator, newest + timedelta(microseconds=1)) == [], \
        "nothing changed since"

    other = await registry.get("/api/v1/children", headers=as_("operator", "52.03"),
                               params={"updated_since": start.isoformat()})
    assert other.json() == {"items": [], "next_cursor": None}, "another kabupaten sees none of it"
    plain = (await registry.get("/api/v1/children", headers=operator, params={"limit": 1})).json()
    mixed = await registry.get("/api/v1/children", headers=operator,
                               params={"updated_since": start.isoformat(), "cursor": plain["next_cursor"]})
    assert mixed.status_code == 422 and mixed.json()["errors"][0]["field"] == "cursor", \
        "a cursor of the plain list does not carry on a list of changes"
    naive = await registry.get("/api/v1/children", headers=operator, params={"updated_since": "2026-11-23T03:00:00"})
    assert naive.status_code == 422, "an instant without its offset is ambiguous"


async def test_merged_and_erased_children_come_once_more_so_the_poller_drops_them(system, as_):
    registry, operator, clock = system.registry, as_("operator"), system.apps["registry"].state.clock
    survivor = (await registry.post("/api/v1/children", json=child_payload(), headers=as_("cadre"))).json()
    duplicate = (await registry.post("/api/v1/children", json=child_payload(nik=None), headers=as_("cadre"))).json()
    gone = (await registry.post("/api/v1/children", json=child_payload(full_name="Rina", nik=None),
                                headers=as_("cadre"))).json()
    clock.advance(timedelta(minutes=1))
    since = clock.now()
    merged = await registry.post(f"/api/v1/children/{survivor['id']}/merge", headers=operator,
                                 json={"duplicate_id": duplicate["id"]})
    assert merged.status_code == 200, merged.text
    erased = await erase_confirmed(registry, gone["id"], asker=operator, confirmer=as_("admin"))
    assert erased.status_code == 200, erased.text
    clock.advance(SETTLE)
    listed = {c["id"]: c for c in await _changes(registry, "/api/v1/children", operator, since)}
    assert set(listed) == {survivor["id"], duplicate["id"], gone["id"]}
    assert listed[duplicate["id"]]["merged_into"] == survivor["id"]
    assert listed[gone["id"]]["erased_at"] is not None and listed[gone["id"]]["nik"] is None
    plain = (await registry.get("/api/v1/children", headers=operator)).json()["items"]
    assert {c["id"] for c in plain} == {survivor["id"]}, "the plain list keeps to live records"


async def test_visits_come_in_the_order_they_changed(system, as_):
    registry, operator, clock = system.registry, as_("operator"), system.apps["registry"].state.clock
    child = (await registry.post("/api/v1/children", json=child_payload(), headers=as_("cadre"))).json()
    assert (await registry.post(f"/api/v1/children/{child['id']}/assessments", json=ASSESSMENT,
                                headers={**as_("cadre"), "If-Match": "*"})).status_code == 201
    since = clock.now()
    visit = {"visited_on": clock.now().date().isoformat(), "working": False, "attendance": "none",
             "living_arrangement": "with_family"}
    first = (await registry.post(f"/api/v1/children/{child['id']}/visits", json=visit,
                                 headers={**as_("cadre"), "If-Match": "*"})).json()
    clock.advance(timedelta(minutes=5))
    second = (await registry.post(f"/api/v1/children/{child['id']}/visits", json=visit,
                                  headers={**as_("cadre"), "If-Match": "*"})).json()
    clock.advance(SETTLE)
    listed = await _changes(registry, "/api/v1/visits", operator, since)
    assert [v["id"] for v in listed] == [first["id"], second["id"]]
    assert [v["id"] for v in await _changes(registry, "/api/v1/visits", as_("cadre"), since)] == \
        [first["id"], second["id"]], "a cadre polls the visits of her desa"
    assert await _changes(registry, "/api/v1/visits", as_("operator", "52.03"), since) == []
    plain = (await registry.get("/api/v1/visits", headers=operator)).json()
    assert [v["id"] for v in plain["items"]] == [first["id"], second["id"]] and plain["next_cursor"] is None


async def test_organisations_come_in_the_order_they_changed(system, as_):
    providers, operator, clock = system.providers, as_("operator"), system.apps["providers"].state.clock
    since = clock.now()
    first = await providers.post("/api/v1/organizations", headers=operator,
                                 json={"name": "LPA Jember", "kind": "ngo", "regency_code": "35.09"})
    clock.advance(timedelta(minutes=1))
    second = await providers.post("/api/v1/organizations", headers=operator,
                                  json={"name": "PKBM Melati", "kind": "school_pkbm", "regency_code": "35.09"})
    clock.advance(timedelta(minutes=1))
    renamed = await providers.patch(f"/api/v1/organizations/{first.json()['id']}", json={"name": "LPA Jember Raya"},
                                    headers={**operator, "If-Match": first.headers["ETag"]})
    assert renamed.status_code == 200, renamed.text
    clock.advance(SETTLE)
    listed = await _changes(providers, "/api/v1/organizations", operator, since)
    assert [(o["id"], o["name"]) for o in listed] == [(second.json()["id"], "PKBM Melati"),
                                                      (first.json()["id"], "LPA Jember Raya")]


async def test_cases_and_referrals_come_in_the_order_they_changed(system, as_):
    clock, operator = system.apps["referral"].state.clock, as_("operator")
    since = clock.now()
    child = await closed_loop(system, as_)
    clock.advance(SETTLE)
    [case] = await _changes(system.engine, "/api/v1/cases", operator, since)
    assert case["child_id"] == child["id"] and case["status"] == "settled"
    assert {need["status"] for need in case["needs"]} <= {"completed", "unmet"}
    referrals = await _changes(system.engine, "/api/v1/referrals", operator, since)
    assert [r["status"] for r in referrals if r["category"] == "education.equivalency"] == ["completed"], \
        "a list of changes shows every status, ended ones too"
    stamps = [r["updated_at"] for r in referrals]
    assert stamps == sorted(stamps), "oldest change first"
    assert await _changes(system.engine, "/api/v1/cases", as_("operator", "52.03"), since) == []
    assert await _changes(system.engine, "/api/v1/cases", operator, clock.now()) == []
    cadre = await _changes(system.engine, "/api/v1/cases", as_("cadre"), since)
    assert [c["case_id"] for c in cadre] == [case["case_id"]], "a cadre polls the cases of her desa"
    assert (await system.engine.get("/api/v1/cases", headers=as_("provider"))).json()["items"] == [], \
        "provider staff read referrals, not cases"
