"""MOU expiry notices on a moved clock, once each even when replicas sweep at the same moment."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from providers.mous.expiry import sweep
from sprpa_shared.db import transaction

ENDING = {"number": "MOU-END", "regency_code": "35.09", "signed_date": "2026-01-05", "valid_from": "2026-01-10",
          "valid_until": "2026-12-20", "service_categories": ["legal.aid"]}


async def notices(db) -> list[tuple[str, int | None]]:
    rows = await db.fetch("SELECT type, (envelope->'data'->>'days_left')::int AS days FROM outbox "
                          "WHERE type LIKE 'sprpa.mou.expir%' ORDER BY position")
    return [(r["type"], r["days"]) for r in rows]


async def sweep_once(app, now) -> list:
    async with transaction(app.state.sessions) as session:
        return await sweep(session, now=now)


async def test_expiring_then_expired_each_once(api, as_, organization, providers_app, clock, db):
    org = await organization()
    await api.post(f"/api/v1/organizations/{org['id']}/mous", json=ENDING, headers=as_("operator"))
    not_yet = await api.post(f"/api/v1/organizations/{org['id']}/mous", headers=as_("operator"),
                             json={**ENDING, "number": "MOU-LONG", "valid_until": "2027-12-31"})
    assert not_yet.status_code == 201

    clock.set(clock.now().replace(month=11, day=19))  # 31 days before the end
    assert await sweep_once(providers_app, clock.now()) == []
    clock.advance(timedelta(days=1))
    assert len(await sweep_once(providers_app, clock.now())) == 1
    assert await sweep_once(providers_app, clock.now() + timedelta(days=5)) == []
    assert await notices(db) == [("sprpa.mou.expiring.v1", 30)]

    clock.set(clock.now().replace(month=12, day=20))
    assert await sweep_once(providers_app, clock.now()) == [], "still valid on its last day"
    clock.advance(timedelta(days=1))
    assert len(await sweep_once(providers_app, clock.now())) == 1
    assert await notices(db) == [("sprpa.mou.expiring.v1", 30), ("sprpa.mou.expired.v1", None)]
    status = (await api.get(f"/api/v1/organizations/{org['id']}/mous", headers=as_("cadre"))).json()["items"]
    assert {m["number"]: m["status"] for m in status} == {"MOU-END": "expired", "MOU-LONG": "active"}


async def test_replicas_sweeping_together_emit_once(api, as_, organization, providers_app, clock, db):
    org = await organization()
    await api.post(f"/api/v1/organizations/{org['id']}/mous", json=ENDING, headers=as_("operator"))
    later = clock.now().replace(year=2027, month=1, day=5)
    results = await asyncio.gather(*(sweep_once(providers_app, later) for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 1], "claimed by one sweep"
    assert [t for t, _ in await notices(db)] == ["sprpa.mou.expired.v1"], "past its end: no late 'expiring'"


async def test_terminated_and_unsigned_mous_get_no_notice(api, as_, organization, providers_app, clock):
    org = await organization()
    mou = (await api.post(f"/api/v1/organizations/{org['id']}/mous", json=ENDING, headers=as_("operator"))).json()
    await api.post(f"/api/v1/organizations/{org['id']}/mous/{mou['id']}/terminate", headers=as_("operator"),
                   json={"terminated_on": "2026-11-23", "reason": "the provider withdrew"})
    await api.post(f"/api/v1/organizations/{org['id']}/mous", headers=as_("operator"),
                   json={**ENDING, "number": "DRAFT", "signed_date": None})
    assert await sweep_once(providers_app, clock.now().replace(year=2027)) == []
