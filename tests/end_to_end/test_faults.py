"""Nothing acknowledged is lost, nothing is done twice: cases flagged before, while and right
after NATS is killed all get exactly the offers their needs call for; every outbox row is
published; the reports count what the registry and the engine hold.

The shorter, in-process part of the chaos suite (the process kills are `make chaos`'s)."""

from __future__ import annotations

import asyncio

from registry.testing import child_payload
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.end_to_end.conftest import ASSESSMENT, GUARDIAN

NEEDS = ["education.equivalency", "psychosocial.counselling"]
PER_BATCH = 8


async def _directory(system, operator) -> None:
    for need in NEEDS:
        for number in range(3):
            org = (await system.providers.post("/api/v1/organizations", headers=operator, json={
                "name": f"Lembaga {need} {number}", "kind": "ngo", "regency_code": "35.09"})).json()
            await system.providers.post(f"/api/v1/organizations/{org['id']}/mous", headers=operator, json={
                "number": f"MOU-{need}-{number}", "regency_code": "35.09", "signed_date": "2026-01-05",
                "valid_from": "2026-01-10", "valid_until": "2027-01-31", "service_categories": [need]})
            created = await system.providers.post("/api/v1/services", headers=operator, json={
                "organization_id": org["id"], "category": need, "name": "Layanan", "regency_code": "35.09",
                "min_age": 6, "max_age": 17, "capacity": 100})
            assert created.status_code == 201, created.text

    async def replicated() -> bool:
        async with database(system.apps["referral"]) as db:
            return await db.fetchval("SELECT count(*) FROM replica_offerings") == 3 * len(NEEDS)

    await wait_until(replicated, timeout=30, what="directory replicated")


async def _assessed_children(system, as_, count: int) -> list[str]:
    ids = []
    for index in range(count):
        body = child_payload(full_name=f"Anak Uji {index} {'abcdefghij'[index % 10]}", nik=None,
                             birth_date=f"2011-0{1 + index % 9}-1{index % 9}")
        child = (await system.registry.post("/api/v1/children", json=body, headers=as_("cadre"))).json()
        await system.registry.post(f"/api/v1/children/{child['id']}/assessments", json=ASSESSMENT,
                                   headers={**as_("cadre"), "If-Match": "*"})
        ids.append(child["id"])
    return ids


async def _flag(system, as_, child_id: str):
    response = await system.registry.post(f"/api/v1/children/{child_id}/flag", headers=as_("operator"), json={
        "root_causes": [], "extra_needs": NEEDS, "consent": GUARDIAN})
    assert response.status_code == 201, response.text
    return response


async def test_flags_around_a_nats_outage_get_exactly_their_offers_and_every_count_agrees(system, as_, servers):
    await _directory(system, as_("operator"))
    children = await _assessed_children(system, as_, 3 * PER_BATCH)
    before, during, after = (children[i * PER_BATCH:(i + 1) * PER_BATCH] for i in range(3))

    await asyncio.gather(*(_flag(system, as_, child) for child in before))
    servers.restart_nats()  # killed while those flags and their offers are in flight, then started again

    async def flag_while_down() -> None:
        await asyncio.gather(*(_flag(system, as_, child) for child in during))  # HTTP still works: the outbox

    await servers.nats_is_down_for(flag_while_down)
    await asyncio.gather(*(_flag(system, as_, child) for child in after))

    expected = 2 * len(NEEDS)  # two parallel offers per need

    async def every_case_offered() -> bool:
        async with database(system.apps["referral"]) as db:
            rows = await db.fetch("SELECT child_id, count(*) AS n FROM referrals GROUP BY child_id")
        return len(rows) == len(children) and all(row["n"] == expected for row in rows)

    try:
        await wait_until(every_case_offered, timeout=90, interval=0.2, what="every flagged case offered")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; state: {await _state(system)}") from None
    async with database(system.apps["referral"]) as db:
        assert await db.fetchval("SELECT count(*) FROM cases") == len(children)
        assert await db.fetchval(
            "SELECT count(*) - count(DISTINCT (need_id, organization_id)) FROM referrals") == 0, "duplicated offers"

    async def all_published() -> bool:
        for name in ("registry", "providers", "referral"):
            async with database(system.apps[name]) as db:
                if await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                    return False
        return True

    await wait_until(all_published, timeout=60, what="every outbox row published")

    async def reports_agree() -> bool:
        async with database(system.apps["reports"]) as db:
            flags = await db.fetchval("SELECT count(*) FROM rm_flags")
            offered = await db.fetchval("SELECT count(*) FROM rm_referrals")
        return flags == len(children) and offered == len(children) * expected

    await wait_until(reports_agree, timeout=60, what="the reports count what the registry and engine hold")
    async with database(system.apps["registry"]) as db:
        assert await db.fetchval("SELECT count(*) FROM flags") == len(children)


async def _state(system) -> dict:
    """What each side holds, for the failure message."""
    async with database(system.apps["referral"]) as db:
        offers = await db.fetch("SELECT n, count(*) AS cases FROM (SELECT child_id, count(*) AS n FROM referrals "
                                "GROUP BY child_id) x GROUP BY n")
        engine = {"cases": await db.fetchval("SELECT count(*) FROM cases"),
                  "offers_per_case": {row["n"]: row["cases"] for row in offers},
                  "unpublished": await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")}
    async with database(system.apps["registry"]) as db:
        registry = {"flags": await db.fetchval("SELECT count(*) FROM flags"),
                    "unpublished": await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")}
    try:
        info = await system.apps["referral"].state.bus.js.consumer_info("REGISTRY", "referral-cases")
        consumer = {"pending": info.num_pending, "ack_pending": info.num_ack_pending}
    except Exception as exc:  # noqa: BLE001 - part of a failure report
        consumer = {"error": type(exc).__name__}
    return {"engine": engine, "registry": registry, "consumer": consumer}
