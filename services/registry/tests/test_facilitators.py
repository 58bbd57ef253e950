"""A case's facilitator through the API (issue 26, point 4): assigned to an account of the child's desa
that the web service announced, reassigned with history; a facilitator's caseload with visits due and
overdue; the district's caseloads per facilitator."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from sprpa_contracts.events import AccountChanged
from sprpa_shared.auth.principal import Role
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.events.streams import ensure_service_stream
from sprpa_shared.testing import wait_until

KESILIR = "35.09.11.2007"
FIRST, SECOND, ELSEWHERE = uuid.UUID(int=101), uuid.UUID(int=102), uuid.UUID(int=103)


@pytest.fixture
async def accounts(registry_app, nats_admin, db):
    """Three village accounts announced by the web service over NATS: two of Kesilir, one of its neighbour."""
    await ensure_service_stream(nats_admin, "web", replicas=1)
    for account, village, function in ((FIRST, KESILIR, "facilitator"), (SECOND, KESILIR, "cadre"),
                                       (ELSEWHERE, "35.09.11.2006", "facilitator")):
        event = AccountChanged(account_id=account, change="created", role="village_cadre", regency_code="35.09",
                               village_code=village, village_function=function, by_role="district_operator")
        envelope = Envelope.wrap(event)
        await nats_admin.publish(event.subject(), envelope.to_bytes(), headers={"Nats-Msg-Id": str(envelope.id)})
    await wait_until(lambda: db.fetchval("SELECT count(*) = 3 FROM facilitators"), what="three accounts")


def facilitator(issuer, account: uuid.UUID, village: str = KESILIR) -> dict:
    return issuer.headers(Role.VILLAGE_CADRE, village=village, subject=str(account))


async def test_reassignment_keeps_the_history(api, as_, register, accounts, db, clock):
    child = await register()
    url = f"/api/v1/children/{child['id']}/facilitator"
    first = await api.put(url, json={"facilitator_id": str(FIRST)}, headers=as_("operator"))
    assert first.status_code == 200, first.text
    assert first.json()["facilitator_id"] == str(FIRST)
    again = await api.put(url, json={"facilitator_id": str(FIRST)}, headers=as_("operator"))
    assert len(again.json()["history"]) == 1, "the same facilitator again is no change"
    clock.set(clock.now() + timedelta(hours=1))
    second = await api.put(url, json={"facilitator_id": str(SECOND), "reason": "Bu Ani cuti melahirkan"},
                           headers=as_("operator"))
    history = second.json()["history"]
    assert [h["facilitator_id"] for h in history] == [str(FIRST), str(SECOND)]
    assert history[0]["ended_at"] is not None and history[1]["ended_at"] is None
    read = (await api.get(url, headers=as_("cadre"))).json()
    assert read == second.json()
    events = await db.fetch("SELECT envelope->'data' AS data FROM outbox WHERE type = "
                            "'sprpa.case.facilitator_assigned.v1' ORDER BY created_at")
    assert len(events) == 2 and "cuti" not in str(events), "the reason stays out of events"


async def test_only_an_active_account_of_the_childs_desa_and_only_operators(api, as_, register, accounts):
    child = await register()
    url = f"/api/v1/children/{child['id']}/facilitator"
    for account in (ELSEWHERE, uuid.UUID(int=999)):
        refused = await api.put(url, json={"facilitator_id": str(account)}, headers=as_("operator"))
        assert refused.status_code == 422, refused.text
    assert (await api.put(url, json={"facilitator_id": str(FIRST)}, headers=as_("cadre"))).status_code == 403


async def test_a_deactivated_account_cannot_take_cases(api, as_, register, accounts, nats_admin, db):
    event = AccountChanged(account_id=FIRST, change="deactivated", role="village_cadre", regency_code="35.09",
                           village_code=KESILIR, by_role="district_operator")
    envelope = Envelope.wrap(event)
    await nats_admin.publish(event.subject(), envelope.to_bytes(), headers={"Nats-Msg-Id": str(envelope.id)})
    await wait_until(lambda: db.fetchval("SELECT NOT active FROM facilitators WHERE account_id = $1", FIRST),
                     what="the account deactivated")
    child = await register()
    refused = await api.put(f"/api/v1/children/{child['id']}/facilitator", json={"facilitator_id": str(FIRST)},
                            headers=as_("operator"))
    assert refused.status_code == 422


async def test_caseload_and_caseloads(api, as_, register, accounts, issuer, db):
    children = [await register(full_name=name, nik=None) for name in ("Siti Aminah", "Dewi Lestari", "Rina Wati")]
    for child, account in zip(children, (FIRST, FIRST, SECOND), strict=True):
        assert (await api.put(f"/api/v1/children/{child['id']}/facilitator", json={"facilitator_id": str(account)},
                              headers=as_("operator"))).status_code == 200
    await db.execute("UPDATE children SET next_visit_due = '2026-11-01' WHERE id = $1", uuid.UUID(children[0]["id"]))
    await db.execute("UPDATE children SET next_visit_due = '2026-11-26' WHERE id = $1", uuid.UUID(children[1]["id"]))
    mine = await api.get("/api/v1/caseload", headers=facilitator(issuer, FIRST))
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert [i["full_name"] for i in body["items"]] == ["Siti Aminah", "Dewi Lestari"]
    assert (body["overdue"], body["due_soon"]) == (1, 1)
    loads = (await api.get("/api/v1/caseloads?regency_code=35.09", headers=as_("operator"))).json()
    assert {(i["facilitator_id"], i["cases"], i["overdue"]) for i in loads["items"]} == {
        (str(FIRST), 2, 1), (str(SECOND), 1, 0)}
    assert loads["unassigned"] == 0
    assert (await api.get("/api/v1/caseloads?regency_code=35.09", headers=as_("cadre"))).status_code == 403
    assert (await api.get("/api/v1/caseload", headers=as_("operator"))).status_code == 403


async def test_a_child_moved_to_another_desa_leaves_the_old_desas_facilitator(api, as_, register, accounts, issuer,
                                                                               clock):
    child = await register()
    url = f"/api/v1/children/{child['id']}/facilitator"
    assert (await api.put(url, json={"facilitator_id": str(FIRST)}, headers=as_("operator"))).status_code == 200
    clock.set(clock.now() + timedelta(hours=1))
    moved = await api.patch(f"/api/v1/children/{child['id']}", json={"village_code": "35.09.11.2006"},
                            headers={**as_("operator"), "If-Match": "*"})
    assert moved.status_code == 200, moved.text
    after = (await api.get(url, headers=as_("operator"))).json()
    assert after["facilitator_id"] is None
    assert [h["facilitator_id"] for h in after["history"]] == [str(FIRST), None]
    assert after["history"][1]["reason"] == "the child moved to another desa"
    mine = (await api.get("/api/v1/caseload", headers=facilitator(issuer, FIRST))).json()
    assert mine["items"] == [], "no longer in the old desa's facilitator's caseload"
