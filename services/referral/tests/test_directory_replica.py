"""The engine keeps its own copy of the directory from the providers' events, through real NATS,
and matches from it without calling the providers service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from providers.main import create_app as create_providers
from providers.settings import ProvidersSettings
from referral.directory import repository
from referral.directory.handlers import rebuild
from referral.main import create_app as create_referral
from referral.rules.matching import match
from referral.settings import ReferralSettings
from sprpa_contracts.eligibility import ChildNeed
from sprpa_contracts.events import OfferingChanged
from sprpa_shared.auth.principal import Role
from sprpa_shared.clock import MovableClock
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import running

TODAY = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
MOU = {"number": "MOU-7", "regency_code": "35.09", "signed_date": "2026-01-05", "valid_from": "2026-01-10",
       "valid_until": "2027-01-31", "service_categories": ["psychosocial.counselling"]}


@pytest.fixture
async def both(make_settings, issuer):
    clock = MovableClock(TODAY)
    providers = create_providers(await make_settings(ProvidersSettings), verifier=issuer.verifier(), clock=clock)
    referral = create_referral(await make_settings(ReferralSettings), verifier=issuer.verifier(), clock=clock)
    async with running(providers) as api, running(referral):
        yield api, referral


async def replica_count(referral, table: str, where: str = "true") -> int:
    connection = await asyncpg.connect(referral.state.settings.asyncpg_url)
    try:
        return await connection.fetchval(f"SELECT count(*) FROM {table} WHERE {where}")
    finally:
        await connection.close()


async def offer(api, headers, org, **overrides) -> dict:
    body = {"organization_id": org["id"], "category": "psychosocial.counselling", "name": "Konseling",
            "regency_code": "35.09", "min_age": 6, "max_age": 17, "capacity": 5, **overrides}
    response = await api.post("/api/v1/services", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _backbone_with_two_offerings(api, referral, operator) -> tuple[dict, dict]:
    """The UPTD PPA of Jember (backbone) with an MOU and two offerings, replicated: (near, wide)."""
    org = (await api.post("/api/v1/organizations", headers=operator,
                          json={"name": "UPTD PPA Jember", "kind": "uptd_p2tp2a", "regency_code": "35.09",
                                "backbone_for": ["35.09"]})).json()
    await api.post(f"/api/v1/organizations/{org['id']}/mous", json=MOU, headers=operator)
    near = await offer(api, operator, org, name="Konseling Wuluhan", service_area=["35.09.11"])
    wide = await offer(api, operator, org, name="Konseling keliling")
    await wait_until(lambda: _all_replicated(referral), timeout=20, what="replica filled from events")
    return near, wide


async def test_directory_events_build_the_engines_replica_and_matching_uses_it(both, issuer):
    api, referral = both
    operator = issuer.headers(Role.DISTRICT_OPERATOR, regencies=("35.09",))
    near, wide = await _backbone_with_two_offerings(api, referral, operator)

    need = ChildNeed(category="psychosocial.counselling", village_code="35.09.11.2007", age=14, sex="female")
    async with referral.state.sessions() as session:
        found = await repository.candidates(session, regency_code="35.09", category=need.category)
    eligible, excluded = match(need, found, TODAY.date())
    assert [str(m.candidate.offering_id) for m in eligible] == [near["id"], wide["id"]] and excluded == []

    await api.put(f"/api/v1/services/{near['id']}/capacity", json={"capacity": 0}, headers=operator)
    await wait_until(lambda: replica_count(referral, "replica_offerings", "capacity = 0"), what="capacity replicated")
    async with referral.state.sessions() as session:
        eligible, excluded = match(need, await repository.candidates(session, regency_code="35.09",
                                                                    category=need.category), TODAY.date())
    assert [str(m.candidate.offering_id) for m in eligible] == [wide["id"]]
    assert [e.reasons for e in excluded] == [("no_capacity",)]


async def _all_replicated(referral) -> bool:
    return (await replica_count(referral, "replica_organizations") == 1
            and await replica_count(referral, "replica_mous") == 1
            and await replica_count(referral, "replica_offerings") == 2)


async def test_an_older_event_arriving_late_changes_nothing(both, issuer, nats_admin):
    api, referral = both
    operator = issuer.headers(Role.DISTRICT_OPERATOR, regencies=("35.09",))
    org = (await api.post("/api/v1/organizations", headers=operator,
                          json={"name": "PKBM Maju", "kind": "school_pkbm", "regency_code": "35.09"})).json()
    created = await offer(api, operator, org)
    await api.put(f"/api/v1/services/{created['id']}/capacity", json={"capacity": 9}, headers=operator)
    await wait_until(lambda: replica_count(referral, "replica_offerings", "capacity = 9"))

    stale = OfferingChanged(offering_id=uuid.UUID(created["id"]), organization_id=uuid.UUID(org["id"]),
                            regency_code="35.09", category="psychosocial.counselling", service_area=[], min_age=6,
                            max_age=17, sexes=[], capacity=5, version=1)
    envelope = Envelope.wrap(stale)
    js = nats_admin  # published as the providers' relay would: the engine's own user may not
    await js.publish(stale.subject(), envelope.to_bytes(), headers={"Nats-Msg-Id": str(envelope.id)})

    async def handled() -> bool:
        info = await js.consumer_info("PROVIDERS", "referral-directory")
        return info.ack_floor.stream_seq >= (await js.stream_info("PROVIDERS")).state.last_seq

    await wait_until(handled, what="stale event consumed")
    assert await replica_count(referral, "replica_offerings", "capacity = 9 AND version = 2") == 1


async def test_the_replica_is_rebuilt_by_replaying_the_providers_stream(both, issuer):
    api, referral = both
    await _backbone_with_two_offerings(api, referral, issuer.headers(Role.DISTRICT_OPERATOR, regencies=("35.09",)))
    before = await _replica(referral)

    await rebuild(referral.state.settings)
    assert await replica_count(referral, "replica_offerings") == 0 or await _all_replicated(referral)
    await wait_until(lambda: _all_replicated(referral), timeout=30, what="replica rebuilt by replay")
    assert await _replica(referral) == before


async def _replica(referral) -> list:
    connection = await asyncpg.connect(referral.state.settings.asyncpg_url)
    try:
        return [tuple(row) for table in ("replica_organizations", "replica_mous", "replica_offerings")
                for row in await connection.fetch(f"SELECT * FROM {table} ORDER BY id")]
    finally:
        await connection.close()
