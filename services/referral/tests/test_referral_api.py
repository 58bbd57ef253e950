"""The referral API: providers act only on their own organisation's referrals, the district
cancels and re-refers, illegal moves are refused and change nothing, every read is audited."""

from __future__ import annotations

import uuid

from referral.testing import COUNSELLING, JEMBER, KESILIR, deliver, flagged
from sprpa_shared.auth.principal import Role
from sprpa_shared.testing.apps import database


async def offered(app, directory, **provider) -> tuple[uuid.UUID, dict, object]:
    org, _ = await directory.provider(**provider)
    event = flagged()
    await deliver(app, event)
    async with database(app) as db:
        row = await db.fetchrow("SELECT * FROM referrals WHERE child_id = $1", event.child_id)
    return org, dict(row), event


async def test_a_provider_sees_and_acts_only_on_its_own_organisations_referrals(engine, as_):
    app, api, directory = engine
    mine, referral, _ = await offered(app, directory)
    other = uuid.uuid4()
    inbox = (await api.get("/api/v1/referrals", headers=as_("provider", mine))).json()
    assert [item["id"] for item in inbox["items"]] == [str(referral["id"])]
    assert inbox["items"][0]["deadline"] is not None and inbox["items"][0]["child_age"] == 14
    assert (await api.get("/api/v1/referrals", headers=as_("provider", other))).json()["items"] == []
    for method, path in (("get", ""), ("post", "/accept"), ("post", "/start")):
        response = await api.request(method.upper(), f"/api/v1/referrals/{referral['id']}{path}",
                                     headers=as_("provider", other))
        assert response.status_code == 404 and "referral" in response.json()["detail"]
    decline = await api.post(f"/api/v1/referrals/{referral['id']}/decline", json={"reason": "no_capacity"},
                             headers=as_("provider", other))
    assert decline.status_code == 404
    async with database(app) as db:
        assert await db.fetchval("SELECT status FROM referrals WHERE id = $1", referral["id"]) == "offered"


async def test_districts_see_their_kabupaten_only_and_other_roles_see_no_referral(engine, as_):
    app, api, directory = engine
    _, referral, event = await offered(app, directory)
    path = f"/api/v1/referrals/{referral['id']}"
    assert (await api.get(path, headers=as_("operator"))).status_code == 200
    assert (await api.get(path, headers=as_("admin"))).status_code == 200
    for who, place in (("operator", "52.03"), ("cadre", None), ("analyst", None)):
        assert (await api.get(path, headers=as_(who, place))).status_code == 404, who
    assert (await api.get("/api/v1/referrals", headers=as_("operator", "52.03"))).json()["items"] == []
    assert (await api.get("/api/v1/referrals", headers=as_("analyst"))).json()["items"] == []
    case = f"/api/v1/cases/{event.child_id}"
    assert (await api.get(case, headers=as_("cadre"))).status_code == 200  # the cadre of the child's desa
    for who, place in (("cadre", "35.09.11.2001"), ("operator", "52.03"), ("provider", None), ("analyst", None)):
        assert (await api.get(case, headers=as_(who, place))).status_code == 404, who
    assert (await api.get("/api/v1/referrals")).status_code == 401


async def test_providers_cannot_cancel_and_districts_cannot_answer_offers(engine, as_):
    app, api, directory = engine
    org, referral, _ = await offered(app, directory)
    path = f"/api/v1/referrals/{referral['id']}"
    cancel = await api.post(f"{path}/cancel", json={"reason": "wrong_provider"}, headers=as_("provider", org))
    assert cancel.status_code == 403
    accept = await api.post(f"{path}/accept", headers=as_("operator"))
    assert accept.status_code == 403 and "organisation the referral is addressed to" in accept.json()["detail"]


async def test_every_illegal_move_is_refused_with_409_and_changes_nothing(engine, as_):
    app, api, directory = engine
    org, referral, _ = await offered(app, directory)
    path = f"/api/v1/referrals/{referral['id']}"
    provider = as_("provider", org)
    delivered = {"outcome": "service_delivered"}

    async def refused(action: str, body: dict | None = None, who=provider) -> None:
        before = await api.get(path, headers=as_("operator"))
        response = await api.post(f"{path}/{action}", json=body, headers=who)
        assert response.status_code == 409, (action, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert (await api.get(path, headers=as_("operator"))).json() == before.json()

    await refused("start")
    await refused("complete", delivered)
    assert (await api.post(f"{path}/accept", headers=provider)).status_code == 200
    await refused("accept")
    await refused("decline", {"reason": "no_capacity"})
    await refused("complete", delivered)  # accepted, not started
    assert (await api.post(f"{path}/start", headers=provider)).status_code == 200
    await refused("start")
    await refused("accept")
    assert (await api.post(f"{path}/complete", json=delivered, headers=provider)).status_code == 200
    for action, body in (("accept", None), ("start", None), ("complete", delivered), ("decline",
                                                                                         {"reason": "other",
                                                                                          "text": "x"})):
        await refused(action, body)
    await refused("cancel", {"reason": "wrong_provider"}, who=as_("operator"))


async def test_bad_input_gets_a_clear_problem_and_changes_nothing(engine, as_):
    app, api, directory = engine
    org, referral, _ = await offered(app, directory)
    path = f"/api/v1/referrals/{referral['id']}"
    for body in ({"reason": "bored"}, {"reason": "no_capacity", "status": "accepted"}, {}):
        response = await api.post(f"{path}/decline", json=body, headers=as_("provider", org))
        assert response.status_code == 422 and response.json()["errors"], body
    assert (await api.get(f"/api/v1/referrals/{uuid.uuid4()}", headers=as_("operator"))).status_code == 404
    assert (await api.get("/api/v1/referrals/not-a-uuid", headers=as_("operator"))).status_code == 422
    async with database(app) as db:
        assert await db.fetchval("SELECT status FROM referrals WHERE id = $1", referral["id"]) == "offered"


async def test_the_district_cancels_with_a_reason_and_re_refers_to_a_named_service(engine, as_):
    app, api, directory = engine
    org, referral, event = await offered(app, directory)
    path = f"/api/v1/referrals/{referral['id']}"
    provider = as_("provider", org)
    await api.post(f"{path}/accept", headers=provider)
    cancelled = await api.post(f"{path}/cancel", json={"reason": "other", "text": "keluarga pindah sementara"},
                               headers=as_("operator"))
    assert cancelled.status_code == 200 and cancelled.json()["reason"] == "other"
    case = (await api.get(f"/api/v1/cases/{event.child_id}", headers=as_("operator"))).json()
    need = case["needs"][0]
    assert need["status"] == "unmet" and case["timeline"][-1]["note"] == "keluarga pindah sementara"

    _, chosen = await directory.provider(area=(KESILIR,))
    too_old = await directory.offering(org, min_age=6, max_age=12)
    refer = f"/api/v1/cases/{event.child_id}/needs/{need['id']}/referrals"
    refused = await api.post(refer, json={"offering_id": str(too_old)}, headers=as_("operator"))
    assert refused.status_code == 409 and refused.json()["reasons"] == ["too_old"]
    assert (await api.post(refer, json={"offering_id": str(chosen)}, headers=as_("provider", org))).status_code == 404
    assert (await api.post(refer, json={"offering_id": str(chosen)},
                           headers=as_("operator", "52.03"))).status_code == 404
    created = await api.post(refer, json={"offering_id": str(chosen)}, headers=as_("operator"))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "offered" and created.json()["offering_id"] == str(chosen)
    assert created.headers["location"] == f"/api/v1/referrals/{created.json()['id']}"
    again = (await api.get(f"/api/v1/cases/{event.child_id}", headers=as_("operator"))).json()
    assert again["status"] == "open" and again["needs"][0]["status"] == "matching"


async def test_kabupaten_settings_change_with_if_match_and_only_by_its_district(engine, as_):
    _, api, _ = engine
    path = f"/api/v1/settings/{JEMBER}"
    read = await api.get(path, headers=as_("operator"))
    assert read.json() == {"regency_code": JEMBER, "parallel_offers": 2, "sla_hours": 48, "weekends_count": False,
                           "customised": False, "version": 0}
    body = {"parallel_offers": 3, "sla_hours": 72, "weekends_count": False}
    assert (await api.put(path, json=body, headers=as_("operator"))).status_code == 428
    changed = await api.put(path, json=body, headers=as_("operator") | {"If-Match": read.headers["etag"]})
    assert changed.status_code == 200 and changed.json()["customised"] is True and changed.json()["version"] == 1
    stale = await api.put(path, json=body, headers=as_("operator") | {"If-Match": read.headers["etag"]})
    assert stale.status_code == 412 and stale.json()["current_etag"] == changed.headers["etag"]
    assert (await api.put(path, json=body | {"parallel_offers": 0},
                          headers=as_("operator") | {"If-Match": changed.headers["etag"]})).status_code == 422
    assert (await api.get(path, headers=as_("operator", "52.03"))).status_code == 403
    assert (await api.get(path, headers=as_("provider"))).status_code == 403


async def test_every_read_of_a_case_or_referral_is_audited(engine, as_):
    app, api, directory = engine
    org, referral, event = await offered(app, directory)
    await api.get(f"/api/v1/cases/{event.child_id}", headers=as_("operator"))
    await api.get("/api/v1/referrals", headers=as_("provider", org))
    await api.get(f"/api/v1/referrals/{referral['id']}", headers=as_("admin"))
    async with database(app) as db:
        rows = await db.fetch("SELECT actor_role, action, child_id FROM audit_log ORDER BY id")
        assert [(r["actor_role"], r["action"], r["child_id"]) for r in rows] == [
            ("district_operator", "GET /api/v1/cases/{child_id}", event.child_id),
            ("provider_staff", "GET /api/v1/referrals", event.child_id),
            ("national_admin", "GET /api/v1/referrals/{referral_id}", event.child_id),
        ]
        assert "append-only" in str(await _refused_update(db))


async def _refused_update(db) -> Exception:
    try:
        await db.execute("DELETE FROM audit_log")
    except Exception as exc:  # noqa: BLE001 - the refusal is what we look at
        return exc
    raise AssertionError("the audit log let a row be deleted")


async def test_gaps_are_listed_for_the_district_only(engine, as_):
    app, api, _ = engine
    await deliver(app, flagged(needs=(COUNSELLING,)))
    assert len((await api.get("/api/v1/gaps", headers=as_("operator"))).json()["items"]) == 1
    assert (await api.get("/api/v1/gaps", headers=as_("operator", "52.03"))).json()["items"] == []
    assert (await api.get("/api/v1/gaps?regency_code=52.03", headers=as_("operator"))).status_code == 403
    assert (await api.get("/api/v1/gaps", headers=as_("provider"))).status_code == 403
    assert (await api.get("/api/v1/gaps", headers=as_("analyst"))).status_code == 403


async def test_a_client_with_only_registry_read_cannot_change_referral_settings(engine, issuer):
    """The probe changed a kabupaten's fan-out with a token that held only `registry:read`."""
    _, api, _ = engine
    client = issuer.headers(Role.INTEGRATION, regencies=(JEMBER,), scopes=frozenset({"registry:read"}))
    changed = await api.put(f"/api/v1/settings/{JEMBER}", headers=client | {"If-Match": '"0"'},
                            json={"parallel_offers": 9, "sla_hours": 1, "weekends_count": True})
    assert changed.status_code == 403, changed.text
    writer = issuer.headers(Role.INTEGRATION, regencies=(JEMBER,), scopes=frozenset({"referral:read"}))
    assert (await api.get(f"/api/v1/settings/{JEMBER}", headers=writer)).json()["customised"] is False


async def test_a_client_with_no_scope_cannot_list_gaps(engine, issuer):
    _, api, _ = engine
    client = issuer.headers(Role.INTEGRATION, regencies=(JEMBER,), scopes=frozenset())
    listed = await api.get("/api/v1/gaps", headers=client)
    assert listed.status_code == 403, listed.text
    reader = issuer.headers(Role.INTEGRATION, regencies=(JEMBER,), scopes=frozenset({"referral:read"}))
    assert (await api.get("/api/v1/gaps", headers=reader)).status_code == 200


async def test_a_need_served_to_completion_is_not_referred_again(engine, as_):
    """Issue 20, point 8: re-referring a need that was already completed is refused."""
    app, api, directory = engine
    org, referral, event = await offered(app, directory)
    path = f"/api/v1/referrals/{referral['id']}"
    provider = as_("provider", org)
    await api.post(f"{path}/accept", headers=provider)
    await api.post(f"{path}/start", headers=provider)
    done = await api.post(f"{path}/complete", json={"outcome": "service_delivered"}, headers=provider)
    assert done.status_code == 200, done.text
    _, other = await directory.provider(area=(KESILIR,))
    need = (await api.get(f"/api/v1/cases/{event.child_id}", headers=as_("operator"))).json()["needs"][0]
    again = await api.post(f"/api/v1/cases/{event.child_id}/needs/{need['id']}/referrals",
                           json={"offering_id": str(other)}, headers=as_("operator"))
    assert again.status_code == 409 and "completion" in again.json()["detail"], again.text
