"""The closed loop through the real services and real NATS: a cadre registers a child, the
district flags it, the engine offers the need to an MOU provider, the provider accepts, serves
and completes it, and the registry's case follows (referred, in remediation, follow-up due)."""

from __future__ import annotations

from registry.testing import TODAY, child_payload
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.end_to_end.conftest import ASSESSMENT, GUARDIAN


async def test_a_flag_reaches_a_provider_and_the_registry_follows_the_referral_to_its_end(system, as_):
    await closed_loop(system, as_)


async def closed_loop(system, as_, *, consent: dict = GUARDIAN, **child) -> dict:
    """The whole loop for one child (`child` overrides its registration); returns the child."""
    registry, providers, engine = system.registry, system.providers, system.engine
    operator = as_("operator")
    child = (await registry.post("/api/v1/children", json=child_payload(**child), headers=as_("cadre"))).json()
    await registry.post(f"/api/v1/children/{child['id']}/assessments", json=ASSESSMENT,
                        headers={**as_("cadre"), "If-Match": "*"})
    needs = ["education.equivalency"]

    org = (await providers.post("/api/v1/organizations", headers=operator, json={
        "name": "PKBM Tunas Harapan", "kind": "school_pkbm", "regency_code": "35.09"})).json()
    mou = await providers.post(f"/api/v1/organizations/{org['id']}/mous", headers=operator, json={
        "number": "MOU-12", "regency_code": "35.09", "signed_date": "2026-01-05", "valid_from": "2026-01-10",
        "valid_until": "2027-01-31", "service_categories": needs})
    assert mou.status_code == 201, mou.text
    offering = await providers.post("/api/v1/services", headers=operator, json={
        "organization_id": org["id"], "category": needs[0], "name": "Kejar Paket B", "regency_code": "35.09",
        "min_age": 10, "max_age": 17, "capacity": 10})
    assert offering.status_code == 201, offering.text
    staff = as_("provider", org["id"])

    async def offering_replicated() -> bool:
        search = await engine.get("/api/v1/settings/35.09", headers=operator)  # the engine is up
        return search.status_code == 200 and await _replica_has(system.apps["referral"], offering.json()["id"])

    await wait_until(offering_replicated, timeout=20, what="offering in the engine's replica")

    flag = await registry.post(f"/api/v1/children/{child['id']}/flag", headers=operator, json={
        "root_causes": ["out_of_school"], "extra_needs": needs, "consent": consent})
    assert flag.status_code == 201, flag.text
    assert needs[0] in flag.json()["needs"]

    async def offered() -> list:
        items = (await engine.get("/api/v1/referrals", headers=staff)).json()["items"]
        return [item for item in items if item["category"] == needs[0]]

    [offer] = await wait_until(offered, timeout=20, what="the offer in the provider's inbox")
    assert offer["child_id"] == child["id"] and offer["status"] == "offered"
    assert (await registry.get(f"/api/v1/children/{child['id']}", headers=staff)).status_code == 404, \
        "an offer alone does not open the child's record"

    assert (await engine.post(f"/api/v1/referrals/{offer['id']}/accept", headers=staff)).status_code == 200
    await wait_until(lambda: _case_status(registry, operator, child, "referred"), timeout=20, what="case referred")
    seen = await registry.get(f"/api/v1/children/{child['id']}", headers=staff)
    assert seen.status_code == 200 and "nik" not in seen.json()

    assert (await engine.post(f"/api/v1/referrals/{offer['id']}/start", headers=staff)).status_code == 200
    await wait_until(lambda: _case_status(registry, operator, child, "in_remediation"), timeout=20)
    done = await engine.post(f"/api/v1/referrals/{offer['id']}/complete", headers=staff,
                             json={"outcome": "service_delivered"})
    assert done.status_code == 200

    case = (await engine.get(f"/api/v1/cases/{child['id']}", headers=operator)).json()
    other_needs = [n for n in case["needs"] if n["category"] != needs[0]]
    if all(n["status"] in ("completed", "unmet") for n in other_needs):
        await wait_until(lambda: _follow_up_due(registry, operator, child), timeout=20, what="follow-up due")
    assert (await registry.get(f"/api/v1/children/{child['id']}", headers=staff)).status_code == 404  # not live
    return child


async def _replica_has(app, offering_id: str) -> bool:
    async with database(app) as db:
        return await db.fetchval("SELECT count(*) FROM replica_offerings WHERE id = $1::uuid", offering_id) == 1


async def _case_status(registry, headers, child, status) -> bool:
    return (await registry.get(f"/api/v1/children/{child['id']}", headers=headers)).json()["status"] == status


async def _follow_up_due(registry, headers, child) -> bool:
    return (await registry.get(f"/api/v1/children/{child['id']}", headers=headers)).json()["next_visit_due"] == \
        TODAY.date().isoformat()
