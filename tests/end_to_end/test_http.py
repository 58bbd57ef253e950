"""Plain HTTP for the systems that integrate (issue 25, points 6 and 7): one list envelope, Location
and ETag on every create, ETag and If-Match on what changes, the framework's own errors as our
problems with a correct Allow, every problem type documented on a page the API links to, and a
rule across fields that names its field."""

from __future__ import annotations

import io
import uuid

import pytest

from registry.testing import KESILIR, child_payload
from sprpa_shared.errors import DomainError, problem_types
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.end_to_end.conftest import ASSESSMENT, GUARDIAN
from tests.end_to_end.test_faults import NEEDS, _directory
from tests.security.test_authentication_everywhere import SERVICES

PROBLEM = "application/problem+json"
# Every create (201, or 202 for work that goes on after the answer): each is made below, and its
# Location is read back. A create added tomorrow fails `test_every_create_is_checked` until it is here.
CREATES = {
    ("registry", "/api/v1/households"), ("registry", "/api/v1/children"),
    ("registry", "/api/v1/children/{child_id}/assessments"), ("registry", "/api/v1/children/{child_id}/flag"),
    ("registry", "/api/v1/children/{child_id}/visits"), ("registry", "/api/v1/imports"),
    ("providers", "/api/v1/organizations"), ("providers", "/api/v1/organizations/{organization_id}/mous"),
    ("providers", "/api/v1/services"), ("referral", "/api/v1/cases/{child_id}/needs"),
    ("referral", "/api/v1/cases/{child_id}/needs/{need_id}/referrals"),
    ("registry", "/api/v1/children/{child_id}/transfers"),
    ("registry", "/api/v1/children/{child_id}/rights-requests"),
    ("providers", "/api/v1/organizations/{organization_id}/mous/{mou_id}/renew"),
    ("registry", "/api/v1/villages/{village_code}/institutions"), ("registry", "/api/v1/activities"),
    ("registry", "/api/v1/activities/{activity_id}/sessions"), ("registry", "/api/v1/costs"),
}
# Creates read back by their own service's tests, outside the system this file runs.
READ_BACK_ELSEWHERE = {("notify", "/api/v1/webhooks"): "services/notify/tests/test_webhooks.py, register()",
                       ("web", "/api/v1/accounts"): "services/web/tests/test_accounts.py",
                       ("web", "/api/v1/clients"): "services/web/tests/test_accounts.py"}
NOT_A_RESOURCE = {
    ("web", "/api/v1/auth/token"): "a token is an answer, not a resource to read back",
    ("notify", "/api/v1/webhooks/{webhook_id}/test"): "a queued delivery, read in the webhook's deliveries",
    ("notify", "/api/v1/webhooks/{webhook_id}/replay"): "a count of queued deliveries, read in the webhook's "
                                                       "deliveries",
}


def _documents() -> dict[str, dict]:
    return {name: factory().openapi() for name, (factory, _) in SERVICES.items()}


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_list_is_one_envelope(service):
    document = _documents()[service]
    schemas = document["components"]["schemas"]
    wrong = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if not get:
            continue
        schema = get["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("type") == "array":
            wrong.append(f"{path}: a bare array")
        ref = schema.get("$ref", "")
        properties = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}) if ref else {}
        if "items" in properties and properties["items"].get("type") == "array" and "next_cursor" not in properties:
            wrong.append(f"{path}: items without next_cursor")
    assert not wrong, wrong


def test_every_create_is_checked():
    found = set()
    for name, document in _documents().items():
        for path, operations in document["paths"].items():
            responses = operations.get("post", {}).get("responses", {})
            if ("201" in responses or "202" in responses) and (name, path) not in NOT_A_RESOURCE:
                found.add((name, path))
    expected = CREATES | set(READ_BACK_ELSEWHERE)
    assert found == expected, f"new creates: {found - expected}; gone: {expected - found}"


def test_every_problem_type_is_documented_and_the_api_links_to_the_page():
    for kind in problem_types().values():
        assert kind.about, f"{kind.__name__} ({kind.type}) has no description"
    assert {"not-found", "method-not-allowed", "invalid-json", "validation-error", "internal-error"} <= \
        set(problem_types())
    for document in _documents().values():
        assert "[/problems](/problems)" in document["info"]["description"]
        assert "/problems" in document["paths"]


async def test_each_service_serves_the_problem_types(system):
    for client in (system.registry, system.providers, system.engine, system.reports):
        page = await client.get("/problems")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        for name in problem_types():
            assert f'id="{name}"' in page.text and f"https://sprpa.id/problems/{name}" in page.text, name


async def _problem(response, status: int, kind: type[DomainError] | str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    name = kind if isinstance(kind, str) else kind.type
    assert body["type"] == f"https://sprpa.id/problems/{name}" and name in problem_types(), body
    return body


async def test_the_frameworks_errors_are_our_problems(system, as_):
    registry, operator = system.registry, as_("operator")
    await _problem(await registry.get("/api/v1/no-such-thing", headers=operator), 404, "not-found")
    child = (await registry.post("/api/v1/children", json=child_payload(), headers=as_("cadre"))).json()
    refused = await registry.delete(f"/api/v1/children/{child['id']}", headers=operator)
    await _problem(refused, 405, "method-not-allowed")
    assert refused.headers["allow"] == "GET, PATCH", "every method of the path, not the first route's"
    assert (await system.providers.put("/api/v1/organizations", headers=operator)).headers["allow"] == "GET, POST"

    broken = await registry.post("/api/v1/children", content=b'{"full_name": "Rina",', headers={
        **as_("cadre"), "content-type": "application/json"})
    body = await _problem(broken, 400, "invalid-json")
    assert "position" in body["detail"]
    assert len((await registry.get("/api/v1/children", headers=operator)).json()["items"]) == 1, "nothing changed"


async def test_a_rule_across_fields_names_its_field(system, as_):
    registry, operator = system.registry, as_("operator")
    child = (await registry.post("/api/v1/children", json=child_payload(), headers=as_("cadre"))).json()
    hours = await registry.post(f"/api/v1/children/{child['id']}/assessments",
                                headers={**as_("cadre"), "If-Match": "*"}, json={
        **ASSESSMENT, "work": {**ASSESSMENT["work"], "hours_per_day": 2, "hours_per_week": 20}})
    assert (await _problem(hours, 422, "validation-error"))["errors"] == [
        {"field": "work.hours_per_week", "message": "hours_per_week cannot exceed 7 times hours_per_day"}]
    await registry.post(f"/api/v1/children/{child['id']}/assessments", headers={**as_("cadre"), "If-Match": "*"},
                        json=ASSESSMENT)
    url = f"/api/v1/children/{child['id']}/flag"
    nothing = await registry.post(url, headers=operator, json={"root_causes": [], "consent": GUARDIAN})
    assert [e["field"] for e in (await _problem(nothing, 422, "validation-error"))["errors"]] == ["root_causes"]
    unnamed = await registry.post(url, headers=operator, json={
        "root_causes": ["out_of_school"], "consent": {**GUARDIAN, "given_by": None}})
    assert [e["field"] for e in (await _problem(unnamed, 422, "validation-error"))["errors"]] == \
        ["consent.given_by"]
    backwards = await registry.post(url, headers=operator, json={
        "root_causes": ["out_of_school"], "consent": {**GUARDIAN, "valid_until": "2026-01-01"}})
    assert [e["field"] for e in (await _problem(backwards, 422, "validation-error"))["errors"]] == \
        ["consent.valid_until"]


async def _read_back(client, response, headers) -> dict:
    """The create's Location, read back: it names the thing just made (or the record it changed)."""
    assert response.status_code in (201, 202), response.text
    location = response.headers.get("location")
    assert location and location.startswith("/api/v1/"), f"no Location: {response.request.url}"
    read = await client.get(location, headers=headers)
    assert read.status_code == 200, f"{location}: {read.status_code}"
    return read.json()


async def test_every_create_answers_location_and_etag_and_reads_back(system, as_):
    registry, providers, engine = system.registry, system.providers, system.engine
    cadre, operator = as_("cadre"), as_("operator")
    seen = set()

    household = await registry.post("/api/v1/households", headers=cadre, json={"village_code": KESILIR})
    assert (await _read_back(registry, household, cadre))["id"] == household.json()["id"]
    assert household.headers["etag"] == '"1"'
    read = await registry.get(household.headers["location"], headers=cadre)
    assert read.headers["etag"] == '"1"'
    seen.add(("registry", "/api/v1/households"))

    child = await registry.post("/api/v1/children", headers=cadre,
                                json=child_payload(household_id=household.json()["id"]))
    assert (await _read_back(registry, child, cadre))["id"] == child.json()["id"] and child.headers["etag"] == '"1"'
    child_id = child.json()["id"]
    seen.add(("registry", "/api/v1/children"))

    assessed = await registry.post(f"/api/v1/children/{child_id}/assessments", headers={**cadre, "If-Match": "*"},
                                   json=ASSESSMENT)
    assert (await _read_back(registry, assessed, cadre))["classification"]["result"] != "not_at_risk"
    assert assessed.headers["etag"] == '"2"'
    seen.add(("registry", "/api/v1/children/{child_id}/assessments"))

    await _directory(system, operator)
    flag = await registry.post(f"/api/v1/children/{child_id}/flag", headers=operator, json={
        "root_causes": [], "extra_needs": NEEDS, "consent": GUARDIAN})
    assert (await _read_back(registry, flag, operator))["id"] == flag.json()["id"] and flag.headers["etag"]
    seen.add(("registry", "/api/v1/children/{child_id}/flag"))

    visit = await registry.post(f"/api/v1/children/{child_id}/visits", headers={**cadre, "If-Match": "*"}, json={
        "visited_on": "2026-11-23", "working": True, "attendance": "none", "work": ASSESSMENT["work"]})
    assert (await _read_back(registry, visit, cadre))["id"] == visit.json()["id"] and visit.headers["etag"]
    seen.add(("registry", "/api/v1/children/{child_id}/visits"))

    institution = await registry.post("/api/v1/villages/35.09.11.2007/institutions", headers=cadre, json={
        "type": "patbm", "name": "PATBM Kesilir", "status": "formed"})
    assert (await _read_back(registry, institution, cadre))["id"] == institution.json()["id"]
    assert institution.headers["etag"] == '"1"'
    seen.add(("registry", "/api/v1/villages/{village_code}/institutions"))
    activity = await registry.post("/api/v1/activities", headers=cadre, json={
        "village_code": "35.09.11.2007", "kind": "forum_anak_session", "topic": "Hak anak", "recurring": True,
        "organiser_institution_id": institution.json()["id"]})
    assert (await _read_back(registry, activity, cadre))["id"] == activity.json()["id"]
    seen.add(("registry", "/api/v1/activities"))
    session = await registry.post(f"/api/v1/activities/{activity.json()['id']}/sessions", headers=cadre, json={
        "held_on": "2026-11-21", "anonymous": [{"sex": "female", "age_band": "13_14", "count": 4}],
        "child_ids": [child_id]})
    assert (await _read_back(registry, session, cadre))["child_ids"] == [child_id]
    seen.add(("registry", "/api/v1/activities/{activity_id}/sessions"))
    cost = await registry.post("/api/v1/costs", headers=operator, json={
        "amount_idr": 250_000, "funding_source": "dana_desa", "spent_on": "2026-11-21",
        "activity_id": activity.json()["id"]})
    assert (await _read_back(registry, cost, operator))["amount_idr"] == 250_000
    seen.add(("registry", "/api/v1/costs"))

    upload = await registry.post("/api/v1/imports", headers=operator, data={"mode": "valid_rows_only"}, files={
        "file": ("survey.csv", io.BytesIO(b"full_name,sex,birth_date,school_status,village_code\n"
                                          b"Budi,male,2012-01-01,in_school,35.09.11.2007\n"), "text/csv")})
    assert (await _read_back(registry, upload, operator))["id"] == upload.json()["id"]
    seen.add(("registry", "/api/v1/imports"))

    org = await providers.post("/api/v1/organizations", headers=operator,
                               json={"name": "LPA Jember", "kind": "ngo", "regency_code": "35.09"})
    assert (await _read_back(providers, org, operator))["id"] == org.json()["id"] and org.headers["etag"] == '"1"'
    org_id = org.json()["id"]
    seen.add(("providers", "/api/v1/organizations"))
    mou = await providers.post(f"/api/v1/organizations/{org_id}/mous", headers=operator, json={
        "number": "MOU-LPA", "regency_code": "35.09", "signed_date": "2026-01-05", "valid_from": "2026-01-10",
        "valid_until": "2027-01-31", "service_categories": NEEDS})
    assert (await _read_back(providers, mou, operator))["id"] == mou.json()["id"]
    seen.add(("providers", "/api/v1/organizations/{organization_id}/mous"))
    renewal = await providers.post(f"/api/v1/organizations/{org_id}/mous/{mou.json()['id']}/renew", headers=operator,
                                   json={"number": "MOU-LPA-2", "valid_until": "2028-01-31"})
    assert (await _read_back(providers, renewal, operator))["renews_id"] == mou.json()["id"]
    seen.add(("providers", "/api/v1/organizations/{organization_id}/mous/{mou_id}/renew"))
    offering = await providers.post("/api/v1/services", headers=operator, json={
        "organization_id": org_id, "category": NEEDS[0], "name": "Kejar Paket B", "regency_code": "35.09",
        "min_age": 6, "max_age": 17, "capacity": 5})
    assert (await _read_back(providers, offering, operator))["id"] == offering.json()["id"]
    assert offering.headers["etag"] == '"1"'
    seen.add(("providers", "/api/v1/services"))
    stale = await providers.put(f"/api/v1/services/{offering.json()['id']}/capacity", json={"capacity": 6},
                                headers={**operator, "If-Match": '"7"'})
    assert stale.status_code == 412
    fresh = await providers.put(f"/api/v1/services/{offering.json()['id']}/capacity", json={"capacity": 6},
                                headers={**operator, "If-Match": offering.headers["etag"]})
    assert fresh.status_code == 200 and fresh.headers["etag"] == '"2"'

    async def case_open():
        case = await engine.get(f"/api/v1/cases/{child_id}", headers=operator)
        return case.json() if case.status_code == 200 and case.json()["needs"] else None

    await wait_until(case_open, timeout=30, what="the case opened")
    need = await engine.post(f"/api/v1/cases/{child_id}/needs", headers=operator,
                             json={"category": "family.social_assistance"})
    assert any(n["category"] == "family.social_assistance" for n in (await _read_back(engine, need, operator))["needs"])
    seen.add(("referral", "/api/v1/cases/{child_id}/needs"))

    async def replicated() -> bool:
        async with database(system.apps["referral"]) as db:
            return await db.fetchval("SELECT count(*) FROM replica_offerings WHERE id = $1::uuid",
                                     offering.json()["id"]) == 1

    await wait_until(replicated, timeout=30, what="the new offering replicated")
    case = await case_open()
    [education] = [n for n in case["needs"] if n["category"] == NEEDS[0]]
    for referral in education["referrals"]:
        if referral["status"] == "offered":
            cancelled = await engine.post(f"/api/v1/referrals/{referral['id']}/cancel", headers=operator,
                                          json={"reason": "other", "text": "sent to the PKBM by name"})
            assert cancelled.status_code == 200, cancelled.text
    sent = await engine.post(f"/api/v1/cases/{child_id}/needs/{education['id']}/referrals", headers=operator,
                             json={"offering_id": offering.json()["id"]})
    referral = await _read_back(engine, sent, operator)
    assert referral["id"] == sent.json()["id"] and sent.headers["etag"] == '"1"'
    seen.add(("referral", "/api/v1/cases/{child_id}/needs/{need_id}/referrals"))
    transfer = await registry.post(f"/api/v1/children/{child_id}/transfers", headers=operator,
                                   json={"to_regency_code": "35.10", "reason": "family_moved"})
    assert (await _read_back(registry, transfer, operator))["id"] == transfer.json()["id"]
    assert transfer.headers["etag"] == '"1"'
    seen.add(("registry", "/api/v1/children/{child_id}/transfers"))
    asked = await registry.post(f"/api/v1/children/{child_id}/rights-requests", headers=operator,
                                json={"kind": "export"})
    assert (await _read_back(registry, asked, operator))["status"] == "pending" and asked.headers["etag"]
    seen.add(("registry", "/api/v1/children/{child_id}/rights-requests"))
    assert seen == CREATES

    staff = as_("provider", org_id)
    read = await engine.get(f"/api/v1/referrals/{referral['id']}", headers=staff)
    assert read.headers["etag"] == '"1"'
    late = await engine.post(f"/api/v1/referrals/{referral['id']}/accept", headers={**staff, "If-Match": '"0"'})
    await _problem(late, 412, "precondition-failed")
    accepted = await engine.post(f"/api/v1/referrals/{referral['id']}/accept", headers={**staff, "If-Match": '"1"'})
    assert accepted.status_code == 200 and accepted.headers["etag"] == '"2"'
    started = await engine.post(f"/api/v1/referrals/{referral['id']}/start", headers={**staff, "If-Match": "*"})
    assert started.status_code == 200 and started.headers["etag"] == '"3"', "If-Match: * matches any version"
    assert (await engine.post(f"/api/v1/referrals/{referral['id']}/complete", headers=staff,
                              json={"outcome": "service_delivered"})).headers["etag"] == '"4"', \
        "If-Match stays optional on a referral's answers"


async def test_a_visit_of_another_child_is_not_found_under_this_one(system, as_):
    registry, cadre = system.registry, as_("cadre")
    first, second = [(await registry.post("/api/v1/children", json=child_payload(full_name=name, nik=None),
                                          headers=cadre)).json() for name in ("Rina", "Dewi")]
    visit = (await registry.post(f"/api/v1/children/{first['id']}/visits", headers={**cadre, "If-Match": "*"}, json={
        "visited_on": "2026-11-23", "working": False, "attendance": "school"})).json()
    assert (await registry.get(f"/api/v1/children/{first['id']}/visits/{visit['id']}", headers=cadre)).status_code \
        == 200
    assert (await registry.get(f"/api/v1/children/{second['id']}/visits/{visit['id']}",
                               headers=cadre)).status_code == 404
    assert (await registry.get(f"/api/v1/children/{first['id']}/visits/{uuid.uuid4()}",
                               headers=cadre)).status_code == 404
