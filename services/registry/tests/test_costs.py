"""Remediation costs through the API (issue 26, point 5): against a delivered service or an activity;
district operators see their kabupaten's, provider staff only their own, nobody else."""

from __future__ import annotations

import json
import uuid

import pytest

ORG, OTHER_ORG = uuid.UUID(int=1), uuid.UUID(int=2)  # the conftest's provider token is of ORG


@pytest.fixture
async def delivered(register, db):
    """A referral of ORG whose service was delivered, as the engine's events leave it in the registry."""
    child = await register()
    referral = uuid.uuid4()
    await db.execute("INSERT INTO provider_access (referral_id, child_id, organization_id, status, live, changed_on, "
                     "need) VALUES ($1, $2, $3, 'completed', false, '2026-11-10', 'education.equivalency')",
                     referral, uuid.UUID(child["id"]), ORG)
    return child, referral


async def test_a_cost_against_a_delivered_service_and_one_against_an_activity(api, as_, delivered, db):
    child, referral = delivered
    service_cost = await api.post("/api/v1/costs", headers={**as_("provider"), "Idempotency-Key": "c-1"}, json={
        "amount_idr": 750_000, "funding_source": "csr", "spent_on": "2026-11-10", "referral_id": str(referral)})
    assert service_cost.status_code == 201, service_cost.text
    body = service_cost.json()
    assert (body["child_id"], body["service_code"], body["organization_id"]) == (
        child["id"], "education.equivalency", str(ORG))
    activity = (await api.post("/api/v1/activities", headers=as_("cadre"), json={
        "village_code": "35.09.11.2007", "kind": "socialisation", "topic": "Sosialisasi di SDN 3"})).json()
    activity_cost = await api.post("/api/v1/costs", headers=as_("operator"), json={
        "amount_idr": 1_200_000, "funding_source": "dana_desa", "spent_on": "2026-11-12",
        "activity_id": activity["id"]})
    assert activity_cost.status_code == 201, activity_cost.text
    events = [json.loads(r["body"]) for r in await db.fetch(
        "SELECT envelope::text AS body FROM outbox WHERE type = 'sprpa.cost.recorded.v1' ORDER BY position")]
    assert [(e["data"]["amount_idr"], e["data"]["activity_kind"]) for e in events] == [
        (750_000, None), (1_200_000, "socialisation")]

    district = (await api.get("/api/v1/costs", headers=as_("operator"))).json()["items"]
    assert sorted(c["amount_idr"] for c in district) == [750_000, 1_200_000]
    own = (await api.get("/api/v1/costs", headers=as_("provider"))).json()["items"]
    assert [c["amount_idr"] for c in own] == [750_000], "provider staff see their own costs only"
    assert (await api.get("/api/v1/costs", headers=as_("provider", OTHER_ORG))).json()["items"] == []
    assert (await api.get(f"/api/v1/costs/{activity_cost.json()['id']}", headers=as_("provider"))
            ).status_code == 404
    for who in ("cadre", "analyst"):
        assert (await api.get("/api/v1/costs", headers=as_(who))).status_code == 403
    assert (await api.get("/api/v1/costs", headers=as_("operator", "52.03"))).json()["items"] == []


async def test_a_cost_is_refused_when_it_has_no_delivered_service_or_is_not_the_callers(api, as_, delivered, db):
    _, referral = delivered
    body = {"amount_idr": 100_000, "funding_source": "apbd", "spent_on": "2026-11-10", "referral_id": str(referral)}
    assert (await api.post("/api/v1/costs", headers=as_("provider", OTHER_ORG), json=body)).status_code == 422
    assert (await api.post("/api/v1/costs", headers=as_("cadre"), json=body)).status_code == 403
    assert (await api.post("/api/v1/costs", headers=as_("operator"), json={**body, "referral_id": str(uuid.uuid4())})
            ).status_code == 422
    for bad in ({"amount_idr": 0}, {"spent_on": "2027-01-01"}, {"activity_id": str(uuid.uuid4())},
                {"funding_source": "lottery"}):
        response = await api.post("/api/v1/costs", headers=as_("operator"), json={**body, **bad})
        assert response.status_code == 422, (bad, response.text)
    await db.execute("UPDATE provider_access SET status = 'accepted'")
    assert (await api.post("/api/v1/costs", headers=as_("operator"), json=body)).status_code == 422, \
        "accepted is not yet delivered"
    assert await db.fetchval("SELECT count(*) FROM costs") == 0
