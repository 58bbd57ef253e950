"""Issue 24, point 2, through the whole system: a family registered in Jember moves to Lombok
Timur; Jember proposes the transfer, Lombok Timur accepts it. The child moves into Lombok Timur's
scope, Jember's live offers are cancelled, the open needs are offered to Lombok Timur's MOU
providers, nothing is lost or offered twice, and Jember's reports still count what it did."""

from __future__ import annotations

from registry.testing import child_payload
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.end_to_end.conftest import ASSESSMENT, GUARDIAN
from tests.end_to_end.test_faults import NEEDS, _directory

JEMBER, LOMBOK_TIMUR, PANDAN_WANGI = "35.09", "52.03", "52.03.20.2006"
LIVE = ("offered", "accepted", "in_service")


async def _lombok_directory(system, operator, categories) -> None:
    for category in categories:
        for number in range(2):
            org = (await system.providers.post("/api/v1/organizations", headers=operator, json={
                "name": f"LPA Lotim {category} {number}", "kind": "ngo", "regency_code": LOMBOK_TIMUR})).json()
            await system.providers.post(f"/api/v1/organizations/{org['id']}/mous", headers=operator, json={
                "number": f"MOU-LOTIM-{category}-{number}", "regency_code": LOMBOK_TIMUR, "signed_date": "2026-01-05",
                "valid_from": "2026-01-10", "valid_until": "2027-01-31", "service_categories": [category]})
            created = await system.providers.post("/api/v1/services", headers=operator, json={
                "organization_id": org["id"], "category": category, "name": "Layanan", "regency_code": LOMBOK_TIMUR,
                "min_age": 6, "max_age": 17, "capacity": 10})
            assert created.status_code == 201, created.text


async def _referrals(system, child_id):
    async with database(system.apps["referral"]) as db:
        return await db.fetch("SELECT id, need_id, organization_id, status, reason, regency_code FROM referrals "
                              "WHERE child_id = $1", child_id)


async def test_a_transfer_accepted_by_the_other_kabupaten_moves_the_case_with_nothing_lost_or_doubled(system, as_):
    jember, lombok = as_("operator", JEMBER), as_("operator", LOMBOK_TIMUR)
    await _directory(system, jember)
    child = (await system.registry.post("/api/v1/children", headers=as_("cadre"),
                                         json=child_payload(nik=None))).json()
    await system.registry.post(f"/api/v1/children/{child['id']}/assessments",
                               headers={**as_("cadre"), "If-Match": "*"}, json=ASSESSMENT)
    flag = await system.registry.post(f"/api/v1/children/{child['id']}/flag", headers=jember, json={
        "root_causes": [], "extra_needs": NEEDS, "consent": GUARDIAN})
    assert flag.status_code == 201, flag.text

    async def offered():
        rows = await _referrals(system, child["id"])
        return rows if len([r for r in rows if r["status"] == "offered"]) == 2 * len(NEEDS) else None

    before = await wait_until(offered, timeout=30, what="Jember's offers")
    accepted = before[0]
    taken = await system.engine.post(f"/api/v1/referrals/{accepted['id']}/accept",
                                     headers=as_("provider", accepted["organization_id"]))
    assert taken.status_code == 200, taken.text
    async with database(system.apps["referral"]) as db:
        categories = [row["category"] for row in await db.fetch(
            "SELECT category FROM needs WHERE case_id = (SELECT id FROM cases WHERE child_id = $1)", child["id"])]
    await _lombok_directory(system, lombok, categories)

    async def replicated():
        async with database(system.apps["referral"]) as db:
            return await db.fetchval("SELECT count(*) FROM replica_offerings WHERE regency_code = $1",
                                     LOMBOK_TIMUR) == 2 * len(categories)

    await wait_until(replicated, timeout=30, what="Lombok Timur's directory replicated")

    proposed = await system.registry.post(f"/api/v1/children/{child['id']}/transfers", headers=jember,
                                          json={"to_regency_code": LOMBOK_TIMUR, "to_village_code": PANDAN_WANGI,
                                                "reason": "family_moved"})
    assert proposed.status_code == 201, proposed.text
    accepted_transfer = await system.registry.post(f"/api/v1/transfers/{proposed.json()['id']}/accept",
                                                   headers=lombok, json={})
    assert accepted_transfer.status_code == 200, accepted_transfer.text

    async def moved():
        rows = await _referrals(system, child["id"])
        in_lombok = [r for r in rows if r["regency_code"] == LOMBOK_TIMUR and r["status"] == "offered"]
        return rows if len(in_lombok) == 2 * len(categories) else None

    after = await wait_until(moved, timeout=30, what="the needs offered in Lombok Timur")
    jember_rows = [r for r in after if r["regency_code"] == JEMBER]
    assert {r["id"] for r in jember_rows} == {r["id"] for r in before}, "no Jember referral lost or added"
    withdrawn_on_acceptance = {r["id"] for r in before if r["need_id"] == accepted["need_id"]} - {accepted["id"]}
    assert {r["id"]: (r["status"], r["reason"]) for r in jember_rows} == {
        r["id"]: ("withdrawn", None) if r["id"] in withdrawn_on_acceptance else ("cancelled", "child_transferred")
        for r in before}
    for category_need in {r["need_id"] for r in after}:
        lombok_orgs = [r["organization_id"] for r in after
                       if r["need_id"] == category_need and r["regency_code"] == LOMBOK_TIMUR]
        assert len(lombok_orgs) == len(set(lombok_orgs)) == 2, "two offers per need, to two organisations"

    # Scope moved: Lombok Timur reads and writes the child; Jember does neither.
    patch = {"school_status": "in_school"}
    assert (await system.registry.get(f"/api/v1/children/{child['id']}", headers=jember)).status_code == 404
    assert (await system.registry.patch(f"/api/v1/children/{child['id']}", headers={**jember, "If-Match": "*"},
                                        json=patch)).status_code == 404
    changed = await system.registry.patch(f"/api/v1/children/{child['id']}", headers={**lombok, "If-Match": "*"},
                                          json=patch)
    assert changed.status_code == 200, changed.text
    case = await system.engine.get(f"/api/v1/cases/{child['id']}", headers=lombok)
    assert case.status_code == 200 and case.json()["village_code"] == PANDAN_WANGI
    # The provider Jember's child was with no longer holds it.
    lost = await system.registry.get(f"/api/v1/children/{child['id']}",
                                     headers=as_("provider", accepted["organization_id"]))
    assert lost.status_code == 404

    # Jember's referral report still counts the offers it made; Lombok Timur's counts its own.
    async def reported():
        counts = {}
        for regency, headers in ((JEMBER, jember), (LOMBOK_TIMUR, lombok)):
            report = (await system.reports.get(f"/api/v1/reports/referrals?place={regency}", headers=headers)).json()
            counts[regency] = (report["offered"], report["accepted"], report["needs"])
        return counts if counts[LOMBOK_TIMUR][0] == len(after) - len(before) else None

    counts = await wait_until(reported, timeout=30, what="the referral reports")
    assert counts[JEMBER] == (len(before), 1, len(categories)), "Jember's offers, acceptance and needs stay counted"
    assert counts[LOMBOK_TIMUR] == (len(after) - len(before), 0, 0), "a need counts once, where it was first offered"
