"""The demo directory: loaded only on request, marked as demo, uneven on purpose, loaded once."""

from __future__ import annotations

from providers import demo
from sprpa_contracts.catalogue import SERVICE_CODES
from sprpa_shared.db import transaction


async def test_demo_directory_has_gaps_and_is_marked(providers_app, clock, db):
    assert await db.fetchval("SELECT count(*) FROM organizations") == 0, "nothing loads by accident"
    async with transaction(providers_app.state.sessions) as session:
        created = await demo.load(session, now=clock.now())
    assert created >= 30
    per_kabupaten = dict(await db.fetch("SELECT regency_code, count(*) FROM organizations GROUP BY 1"))
    assert set(per_kabupaten) == {"35.09", "52.03", "52.08"}
    assert await db.fetchval("SELECT bool_and(is_demo AND name LIKE '%(demo)') FROM organizations")
    for regency in per_kabupaten:
        offered = {r["category"] for r in await db.fetch(
            "SELECT DISTINCT o.category FROM offerings o JOIN mous m ON m.organization_id = o.organization_id "
            "AND o.category = ANY(m.service_categories) AND m.valid_until >= $2 "
            "WHERE o.regency_code = $1", regency, clock.now().date())}
        assert offered < SERVICE_CODES, f"{regency}: some needs must have no covering provider"
    assert await db.fetchval("SELECT count(*) FROM mous WHERE valid_until < $1", clock.now().date()) > 0
    async with transaction(providers_app.state.sessions) as session:
        assert await demo.load(session, now=clock.now()) == 0, "a second load adds nothing"
