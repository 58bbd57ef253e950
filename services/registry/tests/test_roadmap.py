"""A desa's roadmap toward a child-labour-free village (issue 26, point 6): milestones the district
records, those the records prove, and the status they give."""

from __future__ import annotations

import uuid
from datetime import timedelta

KESILIR = "35.09.11.2007"


def decreed(kind: str, day: str) -> dict:
    return {"type": kind, "name": f"{kind.upper()} Kesilir", "status": "decreed", "decree_number": f"141/{kind}/2026",
            "decreed_on": day, "members": [{"role": "anggota", "sex": "female", "age_band": "13_14", "count": 5}]}


async def test_a_desa_becomes_child_labour_free_once_every_milestone_is_reached(api, as_, register, db, clock):
    empty = (await api.get(f"/api/v1/villages/{KESILIR}/roadmap", headers=as_("cadre"))).json()
    assert empty["status"] == "not_started"

    workshop = await api.put(f"/api/v1/villages/{KESILIR}/roadmap/roadmap_workshop",
                             json={"reached_on": "2026-02-10", "reference": "BA-01/2026"}, headers=as_("operator"))
    assert workshop.status_code == 200, workshop.text
    assert workshop.json()["status"] == "in_progress"
    assert (await api.put(f"/api/v1/villages/{KESILIR}/roadmap/rpjmdes_integrated", json={"reached_on": "2026-03-01"},
                          headers=as_("operator"))).status_code == 200
    for kind, day in (("gtdla", "2026-03-05"), ("patbm", "2026-03-20"), ("fad", "2026-04-02")):
        assert (await api.post(f"/api/v1/villages/{KESILIR}/institutions", json=decreed(kind, day),
                               headers=as_("operator"))).status_code == 201

    child = await register()  # a child labourer found today, not yet in remediation
    roadmap = (await api.get(f"/api/v1/villages/{KESILIR}/roadmap", headers=as_("operator"))).json()
    by = {m["milestone"]: m for m in roadmap["milestones"]}
    assert by["institutions_decreed"]["reached_on"] == "2026-04-02"
    assert by["no_unremediated_child_labour"]["reached_on"] is None
    assert by["no_unremediated_child_labour"]["detail"].startswith("1 child labourers")
    assert roadmap["status"] == "in_progress"

    await db.execute("UPDATE children SET status = 'in_remediation' WHERE id = $1", uuid.UUID(child["id"]))
    await db.execute("INSERT INTO case_history (child_id, at, actor, actor_role, from_status, to_status, reason) "
                     "VALUES ($1, $2, 'service:referral', 'integration', 'referred', 'in_remediation', 'test')",
                     uuid.UUID(child["id"]), clock.now())
    not_yet = (await api.get(f"/api/v1/villages/{KESILIR}/roadmap", headers=as_("operator"))).json()
    assert not_yet["status"] == "in_progress", "six months must pass with nobody left waiting"
    clock.set(clock.now() + timedelta(days=190))
    free = (await api.get(f"/api/v1/villages/{KESILIR}/roadmap", headers=as_("operator"))).json()
    assert free["status"] == "child_labour_free", free
    listed = (await api.get("/api/v1/roadmaps?regency_code=35.09", headers=as_("operator"))).json()
    assert [(r["village_code"], r["status"]) for r in listed["items"]] == [(KESILIR, "child_labour_free")]


async def test_only_the_district_records_and_only_recordable_milestones(api, as_, db):
    url = f"/api/v1/villages/{KESILIR}/roadmap"
    assert (await api.put(f"{url}/roadmap_workshop", json={"reached_on": "2026-02-10"}, headers=as_("cadre"))
            ).status_code == 403
    proved = await api.put(f"{url}/institutions_decreed", json={"reached_on": "2026-02-10"}, headers=as_("operator"))
    assert proved.status_code == 422
    assert (await api.put(f"{url}/roadmap_workshop", json={"reached_on": "2027-02-10"}, headers=as_("operator"))
            ).status_code == 422
    assert await db.fetchval("SELECT count(*) FROM village_milestones") == 0
    assert (await api.put(f"{url}/roadmap_workshop", json={"reached_on": "2026-02-10"}, headers=as_("operator"))
            ).json()["status"] == "in_progress"
    taken_back = await api.put(f"{url}/roadmap_workshop", json={"reached_on": None}, headers=as_("operator"))
    assert taken_back.json()["status"] == "not_started"
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.roadmap.milestone.v1'") == 2
