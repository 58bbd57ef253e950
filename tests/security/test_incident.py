"""The breach-notification list (issue 19, point 11; UU 27/2022 asks for notice within 3 x 24
hours): whose records an incident window touched, by actor or address, from every audit log."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from registry.testing import child_payload
from sprpa_shared.ops.incident import touched
from sprpa_shared.testing import wait_until
from tests.end_to_end.conftest import running_system


@pytest.fixture
async def system(make_settings, issuer, tmp_path_factory):
    async with running_system(make_settings, issuer, tmp_path_factory) as started:
        yield started


async def test_the_children_an_incident_window_touched_are_listed_by_actor_and_across_services(system, as_):
    ids = []
    for index in range(3):
        created = await system.registry.post("/api/v1/children", headers=as_("cadre"),
                                             json=child_payload(full_name=f"Anak {index}", nik=None))
        ids.append(created.json()["id"])
    stolen = as_("operator")  # the stolen session of Jember's operator reads two of them
    for child in ids[:2]:
        assert (await system.registry.get(f"/api/v1/children/{child}", headers=stolen)).status_code == 200
    await system.registry.get(f"/api/v1/children/{ids[2]}", headers=as_("operator", "52.03"))  # refused: not a leak
    clock = system.apps["registry"].state.clock
    databases = {name: app.state.settings.asyncpg_url for name, app in system.apps.items()}
    window = {"since": clock.now() - timedelta(hours=1), "until": clock.now() + timedelta(hours=1)}

    by_operator = await touched(databases, actor="operator-35.09", **window)
    assert [str(entry.child_id) for entry in by_operator] == sorted(ids[:2])
    assert all(entry.village_code == "35.09.11.2007" and entry.accesses == {"registry": 1} for entry in by_operator)
    everyone = await touched(databases, **window)
    assert {str(entry.child_id) for entry in everyone} == set(ids)

    # An import's batch is one audit row naming all its children: each of them is listed.
    survey = "full_name,sex,birth_date,village_code,school_status\nAnak Impor,female,2014-01-01,35.09.11.2007," \
             "in_school\nAnak Impor Dua,male,2013-01-01,35.09.11.2007,in_school\n"
    upload = await system.registry.post("/api/v1/imports", headers=as_("admin"), data={"mode": "valid_rows_only"},
                                        files={"file": ("survey.csv", survey.encode())})

    async def imported():
        body = (await system.registry.get(f"/api/v1/imports/{upload.json()['id']}", headers=as_("admin"))).json()
        return body["status"] == "completed"

    await wait_until(imported, timeout=30, what="the import completed")
    now = datetime.now(UTC)  # the import worker is a process of its own, on the system's clock
    by_importer = await touched(databases, since=now - timedelta(hours=1), until=now + timedelta(hours=1))
    assert len([entry for entry in by_importer if str(entry.child_id) not in ids]) == 2
    assert await touched(databases, since=window["until"], until=window["until"] + timedelta(days=1)) == []

    env = {**os.environ, **{f"SPRPA_{name.upper()}_DATABASE_URL": url for name, url in databases.items()}}
    result = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "sprpa_shared.ops.incident", "--from", window["since"].isoformat(),
        "--to", window["until"].isoformat(), "--actor", "operator-35.09"], env=env, capture_output=True, text=True,
        timeout=60)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed["children"] == 2 and {row["child_id"] for row in listed["touched"]} == set(ids[:2])
    assert "Anak" not in result.stdout, "the list names no child"
    assert uuid.UUID(listed["touched"][0]["child_id"])
