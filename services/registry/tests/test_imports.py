"""Bulk import of baseline surveys through the public path, against the real servers."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import openpyxl
import psutil
import pytest

from registry.children import events
from registry.imports import store
from registry.imports.service import HOST, NOTIFY
from registry.imports.validation import load_places, validate_row
from registry.main import create_app
from registry.settings import RegistrySettings
from registry.testing import TODAY
from sprpa_contracts.events import ChildrenImported
from sprpa_shared import audit
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.ids import new_id
from sprpa_shared.migrations import ensure_database, upgrade_async, with_database
from sprpa_shared.protect import protector
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database, running

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
# An import as the release before ordered ids accepted it: naming no `row_ids` (the column's default).
# $1 id, $2 the file's sha256, $3 its bytes, $4 status, $5 the host it is spooled on.
ACCEPTED_BEFORE = (
    "INSERT INTO imports (id, sha256, file_name, file_format, file_bytes, mode, status, spooled_on, actor, "
    "actor_role, regency_codes, created_at) VALUES ($1, $2, 'survey.csv', 'csv', $3, 'valid_rows_only', $4, $5, "
    "'admin-1', 'national_admin', '{}', now())")
ENGLISH = ["full_name", "sex", "birth_date", "nik", "village_code", "school_status", "working", "sector",
           "hours_per_day", "hours_per_week", "hazards"]
GOOD = [
    ["Siti Aminah", "female", "2012-08-05", "3509114508120001", "35.09.11.2007", "out_of_school", "yes", "tobacco",
     "5", "30", "green_tobacco"],
    ["Budi Santoso", "male", "2014-02-10", "", "35.09.11.2007", "in_school", "no", "", "", "", ""],
    ["Dewi Lestari", "female", "2010-12-01", "", "35.09.27.2002", "in_school", "yes", "agriculture", "3", "12", ""],
]
BAD = [
    ["Tanpa Desa", "female", "2012-01-01", "", "35.09.99.9999", "in_school", "no", "", "", "", ""],
    ["Terlalu Tua", "male", "2001-01-01", "", "35.09.11.2007", "in_school", "no", "", "", "", ""],
    ["Jam Negatif", "male", "2013-01-01", "", "35.09.11.2007", "in_school", "yes", "fishing", "2", "-4", ""],
]


def csv_bytes(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def xlsx_bytes(header: list[str], rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def upload(api, headers, content: bytes, *, name="survey.csv", mode="valid_rows_only"):
    return await api.post("/api/v1/imports", files={"file": (name, content)}, data={"mode": mode}, headers=headers)


async def finished(api, headers, import_id: str) -> dict:
    async def done():
        body = (await api.get(f"/api/v1/imports/{import_id}", headers=headers)).json()
        return body if body["status"] in ("completed", "failed") else None

    return await wait_until(done, timeout=30, what="import finished")


async def issues(api, headers, import_id: str) -> list[dict]:
    text = (await api.get(f"/api/v1/imports/{import_id}/issues.csv", headers=headers)).text
    return list(csv.DictReader(io.StringIO(text)))


async def test_valid_rows_only_imports_the_good_rows_and_reports_the_rest(api, as_, db):
    headers = as_("operator")
    response = await upload(api, headers, csv_bytes(ENGLISH, GOOD + BAD))
    assert response.status_code == 202, response.text
    result = await finished(api, headers, response.json()["id"])
    assert (result["status"], result["total_rows"], result["valid_rows"], result["error_rows"],
            result["created_children"]) == ("completed", 6, 3, 3, 3)
    stored = await db.fetchval("SELECT array_agg(full_name) FROM children")
    assert not [name for name in stored if "Budi" in name or "Siti" in name], "names are stored encrypted"
    assert sorted(map(protector().open, stored)) == ["Budi Santoso", "Dewi Lestari", "Siti Aminah"]
    classes = {protector().open(name): result for name, result in
               await db.fetch("SELECT full_name, classification->>'result' FROM children")}
    assert classes == {"Siti Aminah": "worst_form", "Budi Santoso": "not_at_risk",
                       "Dewi Lestari": "permitted_light_work"}
    [announced] = await db.fetch("SELECT subject, envelope->'data' AS data FROM outbox "
                                 "WHERE type = 'sprpa.children.imported.v1'")
    data = json.loads(announced["data"])
    assert announced["subject"] == "sprpa.registry.children.imported.35.09", "an import announces per batch"
    assert (data["regency_code"], len(data["children"])) == ("35.09", 3)
    assert "Siti" not in announced["data"], "codes only: never a name"
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'sprpa.child.registered.v1'") == 0
    report = await issues(api, headers, response.json()["id"])
    assert [(r["row"], r["field"]) for r in report] == [("5", "village_code"), ("6", "birth_date"),
                                                       ("7", "work.hours_per_week")]
    listed = (await api.get("/api/v1/children", headers=headers)).json()["items"]
    assert len(listed) == 3


async def test_all_or_nothing_writes_nothing_when_a_row_is_bad(api, as_, db):
    headers = as_("operator")
    failed = await finished(api, headers, (await upload(api, headers, csv_bytes(ENGLISH, GOOD + BAD[:1]),
                                                        mode="all_or_nothing")).json()["id"])
    assert (failed["status"], failed["error_rows"], failed["created_children"]) == ("failed", 1, 0)
    assert "nothing was imported" in failed["failure"]
    assert await db.fetchval("SELECT count(*) FROM children") == 0
    ok = await finished(api, headers, (await upload(api, headers, csv_bytes(ENGLISH, GOOD),
                                                    mode="all_or_nothing")).json()["id"])
    assert (ok["status"], ok["created_children"]) == ("completed", 3)


async def test_the_same_file_again_creates_nothing_twice(api, as_, db, registry_app):
    headers = as_("operator")
    content = csv_bytes(ENGLISH, GOOD)
    first = await upload(api, headers, content)
    await finished(api, headers, first.json()["id"])
    again = await upload(api, headers, content)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    as_valid_only = await upload(api, headers, content, mode="all_or_nothing")
    await finished(api, headers, as_valid_only.json()["id"])
    assert await db.fetchval("SELECT count(*) FROM children") == 3, "rows map to the same children in any mode"

    # A worker that died mid-import picks it up again: the rows it wrote are not written twice.
    await db.execute("UPDATE imports SET status = 'queued' WHERE id = $1", uuid.UUID(first.json()["id"]))
    await db.execute("SELECT pg_notify('registry_imports', '')")
    await finished(api, headers, first.json()["id"])
    assert await db.fetchval("SELECT count(*) FROM children") == 3


async def test_indonesian_xlsx_with_village_names_resolves_places(api, as_, db):
    header = ["Nama Lengkap", "Jenis Kelamin", "Tanggal Lahir", "Desa", "Kecamatan", "Kabupaten", "Status Sekolah",
              "Bekerja", "Sektor", "Jam per Hari", "Jam per Minggu", "Kategori"]
    rows = [
        ["Ayu Rahmawati", "P", "05/08/2011", "Seelos", "Gangga", "Lombok Utara", "putus sekolah", "ya", "tobacco",
         4, 24, "pekerja anak"],
        ["Joko", "L", "10/02/2013", "Genggeling", "Gangga", "Lombok Utara", "sekolah", "tidak", "", "", "",
         "rentan bekerja"],
        ["Rina", "P", "01/01/2012", "Sukoreno", "", "Jember", "sekolah", "tidak", "", "", "", ""],
    ]
    headers = as_("admin")
    response = await upload(api, headers, xlsx_bytes(header, rows), name="pemetaan.xlsx")
    assert response.status_code == 202, response.text
    result = await finished(api, headers, response.json()["id"])
    assert (result["file_format"], result["created_children"], result["error_rows"]) == ("xlsx", 2, 1)
    places = {protector().open(name): code for name, code in
              await db.fetch("SELECT full_name, village_code FROM children")}
    assert places == {"Ayu Rahmawati": "52.08.02.2006", "Joko": "52.08.02.2003"}
    (problem,) = await issues(api, headers, response.json()["id"])
    assert problem["field"] == "village" and "ambiguous" in problem["message"]
    joko = next(row for row in await db.fetch("SELECT full_name, mapping_categories FROM children")
                if protector().open(row["full_name"]) == "Joko")
    assert joko["mapping_categories"] == ["at_risk"]


async def test_possible_duplicates_are_flagged_on_import(api, as_, register):
    existing = await register()  # Siti Aminah, with the NIK of the first GOOD row
    headers = as_("operator")
    response = await upload(api, headers, csv_bytes(ENGLISH, GOOD))
    result = await finished(api, headers, response.json()["id"])
    assert result["duplicate_rows"] == 1
    (duplicate,) = [i for i in await issues(api, headers, response.json()["id"]) if i["kind"] == "duplicate"]
    assert (duplicate["row"], duplicate["field"], duplicate["existing_child_id"]) == ("2", "nik", existing["id"])


async def test_similar_names_are_flagged_on_import_against_the_registry_and_within_the_file(api, as_, register, db):
    existing = await register(nik=None)  # Siti Aminah, born 2012-08-05 in Kesilir (35.09.11)
    headers = as_("operator")
    rows = [["Aminah  SITI", "female", "2012-08-07", "", "35.09.11.2007", "in_school", "no", "", "", "", ""],
            ["Budi Santoso", "male", "2014-02-10", "", "35.09.11.2007", "in_school", "no", "", "", "", ""],
            ["budi santosa", "male", "2014-02-11", "", "35.09.11.2007", "in_school", "no", "", "", "", ""],
            ["Budi Santoso", "male", "2014-02-10", "", "35.09.27.2002", "in_school", "no", "", "", "", ""],
            ["Siti Aminah", "female", "2012-08-01", "", "35.09.11.2007", "in_school", "no", "", "", "", ""]]
    response = await upload(api, headers, csv_bytes(ENGLISH, rows))
    result = await finished(api, headers, response.json()["id"])
    assert (result["created_children"], result["duplicate_rows"]) == (5, 3)
    ids = {}
    for row in await db.fetch("SELECT id, full_name, district_code FROM children"):
        ids[(protector().open(row["full_name"]), row["district_code"])] = str(row["id"])
    found = {(i["row"], i["field"], i["existing_child_id"])
             for i in await issues(api, headers, response.json()["id"]) if i["kind"] == "duplicate"}
    assert found == {
        ("2", "full_name", existing["id"]),  # same name in another order, born 2 days apart
        ("3", "full_name", ids[("budi santosa", "35.09.11")]),  # rows of the same file find each other
        ("4", "full_name", ids[("Budi Santoso", "35.09.11")]),
    }, "row 5 (another kecamatan) and row 6 (born 4 days before Siti) are not duplicates"


async def test_import_respects_the_uploaders_area(api, as_, db):
    cadre = as_("cadre")
    response = await upload(api, cadre, csv_bytes(ENGLISH, GOOD))
    result = await finished(api, cadre, response.json()["id"])
    assert (result["created_children"], result["error_rows"]) == (2, 1), "Dewi lives in another desa"
    report = await issues(api, cadre, response.json()["id"])
    assert "outside your area" in report[0]["message"]
    for who, place in (("operator", "52.03"), ("cadre", "35.09.27.2002")):
        assert (await api.get(f"/api/v1/imports/{response.json()['id']}", headers=as_(who, place))).status_code == 404
    assert (await api.get(f"/api/v1/imports/{response.json()['id']}", headers=as_("operator"))).status_code == 200
    for who in ("provider", "analyst"):
        assert (await upload(api, as_(who), csv_bytes(ENGLISH, GOOD[:1]))).status_code == 403


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"", "file"),
        (b"\x00\x01\x02 not a survey", "file"),
        (csv_bytes(["name", "colour"], [["x", "red"]]), "file"),
    ],
)
async def test_malformed_files_fail_at_upload(api, as_, db, content, field):
    response = await upload(api, as_("operator"), content)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert await db.fetchval("SELECT count(*) FROM imports") == 0


async def test_oversized_upload_is_refused_before_it_is_read(make_settings, issuer, clock, as_, tmp_path):
    settings = await make_settings(RegistrySettings, import_max_bytes=4096, import_spool_dir=tmp_path)
    app = create_app(settings, verifier=issuer.verifier(), clock=clock)
    async with running(app) as api:
        big = csv_bytes(ENGLISH, GOOD * 100)
        response = await upload(api, as_("operator"), big)
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert list(tmp_path.iterdir()) == []
        small_body_elsewhere = await api.post("/api/v1/households", content=b"x" * (2 * 1024 * 1024),
                                              headers={**as_("operator"), "content-type": "application/json"})
        assert small_body_elsewhere.status_code == 413


async def test_an_import_of_many_batches_checks_counts_and_writes_each_row_once(make_settings, issuer, clock, as_,
                                                                                tmp_path):
    """Batches of 2: each is read, validated and staged while the one before is written."""
    settings = await make_settings(RegistrySettings, import_batch_rows=2, import_spool_dir=tmp_path)
    app = create_app(settings, verifier=issuer.verifier(), clock=clock)
    header = [*ENGLISH, "village", "district", "regency"]
    rows = [
        GOOD[0] + ["", "", ""], GOOD[1] + ["", "", ""], BAD[0] + ["", "", ""], GOOD[2] + ["", "", ""],
        [""] * len(header),  # a blank row is skipped, not counted
        ["budi santosa", "male", "2014-02-11", "", "35.09.11.2007", "in_school", "no", "", "", "", ""] + ["", "", ""],
        BAD[2] + ["", "", ""],
        ["Ayu Rahmawati", "female", "2011-08-05", "", "", "in_school", "no", "", "", "", "",
         "Seelos", "Gangga", "Lombok Utara"],
        ["Rina", "female", "2012-01-01", "", "", "in_school", "no", "", "", "", "", "Sukoreno", "", "Jember"],
    ]
    headers = as_("admin")
    async with running(app) as api, database(app) as db:
        response = await upload(api, headers, csv_bytes(header, rows))
        result = await finished(api, headers, response.json()["id"])
        assert (result["status"], result["total_rows"], result["processed_rows"], result["valid_rows"],
                result["error_rows"], result["created_children"], result["duplicate_rows"]) == (
            "completed", 8, 8, 5, 3, 5, 1)
        ids = {protector().open(row["full_name"]): str(row["id"]) for row in
               await db.fetch("SELECT id, full_name FROM children")}
        assert sorted(ids) == ["Ayu Rahmawati", "Budi Santoso", "Dewi Lestari", "Siti Aminah", "budi santosa"]
        report = [(r["row"], r["kind"], r["field"], r["existing_child_id"])
                  for r in await issues(api, headers, response.json()["id"])]
        assert sorted(report) == [("10", "error", "village", ""), ("4", "error", "village_code", ""),
                                  ("7", "duplicate", "full_name", ids["Budi Santoso"]),
                                  ("8", "error", "work.hours_per_week", "")], "row 7 found row 3, 2 batches before"

        refused = await upload(api, headers, csv_bytes(header, rows), mode="all_or_nothing")
        result = await finished(api, headers, refused.json()["id"])
        assert (result["status"], result["error_rows"], result["created_children"]) == ("failed", 3, 0)
        assert await db.fetchval("SELECT count(*) FROM children") == 5

        good = [row for number, row in enumerate(rows, start=2) if number in (2, 3, 5, 7, 9)]
        accepted = await upload(api, headers, csv_bytes(header, good), mode="all_or_nothing")
        result = await finished(api, headers, accepted.json()["id"])
        assert (result["status"], result["total_rows"], result["created_children"], result["duplicate_rows"]) == (
            "completed", 5, 5, 5), "each row is like a child of the first import"
        assert await db.fetchval("SELECT count(*) FROM children") == 10


async def test_a_row_is_checked_against_the_batch_just_before_it_written_beside_it(make_settings, issuer, clock,
                                                                                  as_, tmp_path):
    """Issue 27: two connections write batches in turn, a batch's rows going in while the batch
    before is checked and committed. A row still finds its duplicate in the batch just before (that
    batch has committed when it is checked), and the earlier row does not report the later one."""
    settings = await make_settings(RegistrySettings, import_batch_rows=2, import_spool_dir=tmp_path)
    app = create_app(settings, verifier=issuer.verifier(), clock=clock)
    rows = [GOOD[1], GOOD[2],  # Budi Santoso; Dewi Lestari
            ["budi santosa", "male", "2014-02-11", "", "35.09.11.2007", "in_school", "no", "", "", "", ""], GOOD[0],
            ["Aminah Siti", "female", "2012-08-07", "", "35.09.11.2007", "in_school", "no", "", "", "", ""],
            ["Rina Kusuma", "female", "2012-01-01", "", "35.09.27.2002", "in_school", "no", "", "", "", ""],
            ["Budi  Santoso", "male", "2014-02-09", "", "35.09.11.2007", "in_school", "no", "", "", "", ""]]
    headers = as_("admin")
    async with running(app) as api, database(app) as db:
        response = await upload(api, headers, csv_bytes(ENGLISH, rows))
        result = await finished(api, headers, response.json()["id"])
        assert (result["status"], result["created_children"], result["processed_rows"]) == ("completed", 7, 7)
        ids = {row_number: store.row_ids(row)(row_number) for row in
               [await db.fetchrow("SELECT * FROM imports")] for row_number in range(2, 9)}
        report = {(r["row"], r["existing_child_id"])
                  for r in await issues(api, headers, response.json()["id"]) if r["kind"] == "duplicate"}
        assert report == {("4", ids[2]), ("6", ids[5]), ("8", ids[2])}, "row 8's best match is row 2, a day apart"
        assert result["duplicate_rows"] == 3


async def test_the_worker_publishes_the_events_of_the_batches_it_commits_itself(make_settings, issuer, clock, as_,
                                                                                 tmp_path):
    """Issue 27: a batch's events (1.2 MB for a thousand children) go to JetStream from the import
    worker once its transaction commits, not read back from the outbox by the service's relay on
    the API's event loop: with the service's relay stopped, every one is published, once."""
    settings = await make_settings(RegistrySettings, import_batch_rows=2, import_spool_dir=tmp_path)
    app = create_app(settings, verifier=issuer.verifier(), clock=clock)
    headers = as_("admin")
    async with running(app) as api, database(app) as db:
        await app.state.bus.relay.stop()
        await wait_until(lambda: not app.state.bus.workers_alive, timeout=10, what="the service's relay stopped")
        rina = ["Rina Kusuma", "female", "2012-01-01", "", "35.09.27.2002", "in_school", "no", "", "", "", ""]
        response = await upload(api, headers, csv_bytes(ENGLISH, [*GOOD, rina]))
        assert (await finished(api, headers, response.json()["id"]))["created_children"] == 4

        async def published() -> list | None:
            rows = await db.fetch("SELECT published_at, attempts FROM outbox WHERE type = $1",
                                  "sprpa.children.imported.v1")
            return rows if rows and all(row["published_at"] is not None for row in rows) else None

        events = await wait_until(published, timeout=10, what="the import's events published")
        assert len(events) == 2 and {row["attempts"] for row in events} == {1}, "two batches of two children"
        stream = await app.state.bus.js.stream_info("REGISTRY", subjects_filter="sprpa.registry.children.imported.>")
        assert stream.state.subjects == {"sprpa.registry.children.imported.35.09": 2}


YIELDING = """
import asyncio, os, sys
import asyncpg
from registry.imports.service import yield_like_this_process

async def main():
    os.nice(7)
    connection = await asyncpg.connect(sys.argv[1])
    await yield_like_this_process(connection)
    backend = await connection.fetchval("SELECT pg_backend_pid()")
    print(os.getpriority(os.PRIO_PROCESS, 0), os.getpriority(os.PRIO_PROCESS, backend))
    await connection.close()

asyncio.run(main())
"""


async def test_the_import_workers_database_backends_yield_the_processor_as_the_worker_does(make_settings, db):
    """Issue 27: the worker runs niced so the API keeps its answers during an import; its
    PostgreSQL backends, on the same machine (the embedded default), are niced alike, or the
    import's writes took the processor from the API's reads (GET p99 during an import 2.65x idle)."""
    assert await db.fetchval("SELECT inet_server_addr() IS NULL OR host(inet_server_addr()) IN "
                             "('127.0.0.1', '::1')"), "the test database runs on this machine"
    settings = await make_settings(RegistrySettings)
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", YIELDING, settings.asyncpg_url],
                                   capture_output=True, text=True, check=True, timeout=60)
    worker, backend = done.stdout.split()
    assert int(worker) > 0 and backend == worker


async def test_imports_run_in_a_worker_process_started_again_if_it_dies(api, as_, db, registry_app):
    """Issue 27: parsing and validating rows runs in a process of its own (the API keeps its answers
    during an import); the service starts it again when it dies, and the import still completes."""
    assert registry_app.state.settings.import_worker == "process"

    def workers() -> list[psutil.Process]:
        found = []
        for child in psutil.Process().children(recursive=True):
            # The killed worker is a zombie until the service reaps it (psutil's ZombieProcess is a
            # NoSuchProcess): not a worker any more.
            with contextlib.suppress(psutil.NoSuchProcess):
                if child.status() != psutil.STATUS_ZOMBIE and "import-worker" in " ".join(child.cmdline()):
                    found.append(child)
        return found

    [first] = await wait_until(workers, what="the import worker process")
    first.kill()
    await wait_until(lambda: [w for w in workers() if w.pid != first.pid], what="the worker started again")
    headers = as_("operator")
    response = await upload(api, headers, csv_bytes(ENGLISH, GOOD))
    result = await finished(api, headers, response.json()["id"])
    assert (result["status"], result["created_children"]) == ("completed", 3)


async def test_an_import_audits_each_batch_once_with_the_children_it_wrote(make_settings, issuer, clock, as_,
                                                                          tmp_path):
    """One audit row per batch (issue 27), naming every child the batch wrote: each child's accesses,
    the audit API and the sealed chain see it as they saw a row per child."""
    settings = await make_settings(RegistrySettings, import_batch_rows=2, import_spool_dir=tmp_path,
                                   audit_seal_seconds=3600)
    app = create_app(settings, verifier=issuer.verifier(), clock=clock)
    async with running(app) as api, database(app) as db:
        response = await upload(api, as_("operator"), csv_bytes(ENGLISH, GOOD))
        assert (await finished(api, as_("operator"), response.json()["id"]))["created_children"] == 3
        rows = await db.fetch("SELECT child_id, child_ids, object_id, action FROM audit_log "
                              "WHERE action LIKE 'IMPORT %' ORDER BY id")
        children = [str(row["id"]) for row in await db.fetch("SELECT id FROM children ORDER BY created_at, id")]
        assert sorted(len(row["child_ids"]) for row in rows) == [1, 2], "a row per batch of 2, not a row per child"
        assert sorted(str(child) for row in rows for child in row["child_ids"]) == sorted(children)
        assert {row["child_id"] for row in rows} == {None}
        assert {str(row["object_id"]) for row in rows} == {response.json()["id"]}, "the import is the object"

        for child in children:
            accesses = (await api.get(f"/api/v1/children/{child}/accesses", headers=as_("operator"))).json()
            assert accesses["items"][-1]["action"] == f"IMPORT /api/v1/imports/{response.json()['id']}", "oldest last"
            found = (await api.get("/api/v1/audit", params={"child_id": child}, headers=as_("admin"))).json()
            assert [child in (entry["child_ids"] or []) for entry in found["items"]][:1] == [True]

        await audit.seal_pass(app)
        assert (await api.get("/api/v1/audit/verify", headers=as_("admin"))).json()["intact"] is True
        await db.execute("SET session_replication_role = replica")
        await db.execute("UPDATE audit_log SET child_ids = child_ids[1:1] WHERE id = $1",
                         await db.fetchval("SELECT id FROM audit_log WHERE action LIKE 'IMPORT %' "
                                           "AND cardinality(child_ids) = 2"))
        assert (await api.get("/api/v1/audit/verify", headers=as_("admin"))).json()["intact"] is False, \
            "a child taken out of a sealed batch row breaks the chain"


async def test_a_rows_duplicate_check_reads_only_the_neighbours_whose_names_sound_alike(api, as_, db):
    """Issue 27: a row's cost must not grow with the registry. With 300 children of one kecamatan
    born within the tolerance of a new row, the database hands the check the two whose names sound
    like it, not all 300 (the query before the name sound tags handed it 302), and the duplicate
    is still found."""
    headers = as_("operator")
    born = ["2014-02-09", "2014-02-10", "2014-02-11", "2014-02-12"]
    crowd = [_boy(f"Anak Desa {number}", born[number % 4]) for number in range(300)]
    kin = [_boy("Muhammad Rizki", "2014-02-10"), _boy("Muhammad Fajar", "2014-02-12")]
    first = await upload(api, headers, csv_bytes(ENGLISH, crowd + kin))
    assert (await finished(api, headers, first.json()["id"]))["created_children"] == 302

    row = _boy("Muhamad Rizky", "2014-02-11")
    candidates, _ = await _candidates(db, row)
    names = await _names(db)
    assert sorted(names[child] for child in candidates["nearby"]) == ["Muhammad Fajar", "Muhammad Rizki"]

    second = await upload(api, headers, csv_bytes(ENGLISH, [row]))
    assert (await finished(api, headers, second.json()["id"]))["duplicate_rows"] == 1
    (duplicate,) = await issues(api, headers, second.json()["id"])
    assert names[duplicate["existing_child_id"]] == "Muhammad Rizki"


async def test_a_rows_duplicate_check_reads_few_children_however_many_share_one_word_of_its_name(api, as_, db):
    """Issue 27: at a million children the look-up by any one shared sound brought ten times the
    children `ALIKE` kept (every Muhammad of the kecamatan born that week). A name of three sounds
    is alike a longer name only if they share two, so the index is asked for pairs: of 300
    neighbours called Muhammad, the check reads the one sharing two words and the one-word name,
    not all 300 (it read every one of them before the pairs)."""
    headers = as_("operator")
    crowd = [_boy(f"Muhammad Desa {number}", "2014-02-10") for number in range(300)]
    kin = [_boy("Muhamad Rizky Saputra", "2014-02-11"), _boy("Rizki", "2014-02-12")]
    first = await upload(api, headers, csv_bytes(ENGLISH, crowd + kin))
    assert (await finished(api, headers, first.json()["id"]))["created_children"] == 302

    row = _boy("Muhammad Rizki Pratama", "2014-02-10")
    await db.execute("ANALYZE children")  # as a large import does: the plan is not left to autovacuum's timing
    candidates, read = await _candidates(db, row, through_index=True)  # 302 children are read whole otherwise
    names = await _names(db)
    assert sorted(names[child] for child in candidates["nearby"]) == ["Muhamad Rizky Saputra", "Rizki"]
    assert read <= 4, f"the check read {read} children for 2 alike"


def _boy(name: str, born: str) -> list[str]:
    """A survey row of a boy at school in desa 35.09.11.2007, not working, without a NIK."""
    return [name, "male", born, "", "35.09.11.2007", "in_school", "no", "", "", "", ""]


async def _names(db) -> dict[str, str]:
    """Every registered child's name by id."""
    rows = await db.fetch("SELECT id, full_name FROM children")
    return {str(row["id"]): protector().open(row["full_name"]) for row in rows}


async def _candidates(db, row: list[str], *, through_index: bool = False) -> tuple[asyncpg.Record, int]:
    """The duplicate check's candidates (`store.CANDIDATES`) for one survey row, staged as an import
    stages it, and how many children the check read (by sequential scans and through indexes; this
    transaction's own count, not the import worker's, which reaches the shared count late);
    `through_index`: as a registry too large to read whole would find them."""
    valid, problems = validate_row(2, dict(zip(ENGLISH, row, strict=True)), places=await load_places(db),
                                   resolve=lambda *_: (None, "by code only"),
                                   principal=Principal(subject="probe", role=Role.NATIONAL_ADMIN), today=TODAY.date())
    assert problems == []
    staged = store.stage([valid], child_id=store.ordered_ids("probe"), now=datetime.now(UTC), import_id=uuid.uuid4())
    async with db.transaction():
        await db.execute(store.STAGE)
        await db.copy_records_to_table("import_stage", records=staged.records, columns=store.STAGE_COLUMNS)
        if through_index:
            await db.execute("SET LOCAL enable_seqscan = off")
        (candidates,) = await db.fetch(store.CANDIDATES, list(staged.keys), 3)
        read = await db.fetchval("SELECT seq_tup_read + idx_tup_fetch FROM pg_stat_xact_user_tables "
                                 "WHERE relname = 'children'")
    return candidates, read


async def test_a_batch_resumed_after_some_of_its_rows_were_written_announces_only_the_others(db):
    """An import interrupted after writing part of a batch writes and announces the rest of it on
    the next start: `children.imported` names exactly the children that batch created."""
    places = await load_places(db)
    principal = Principal(subject="probe", role=Role.NATIONAL_ADMIN)
    valid = [validate_row(number, dict(zip(ENGLISH, row, strict=True)), places=places, principal=principal,
                          resolve=lambda *_: (None, "by code only"), today=TODAY.date())[0]
             for number, row in enumerate(GOOD, start=2)]
    import_id, now = uuid.uuid4(), datetime.now(UTC)
    first = store.stage(valid[:1], child_id=store.ordered_ids("resumed"), now=now, import_id=import_id)
    whole = store.stage(valid, child_id=store.ordered_ids("resumed"), now=now, import_id=import_id)
    async with db.transaction():
        assert await store.write_batch(db, first, actor="probe", actor_role="national_admin") == (1, 0)
    async with db.transaction():
        assert await store.write_batch(db, whole, actor="probe", actor_role="national_admin") == (2, 0)
    announced = [[child["child_id"] for child in json.loads(row["envelope"])["data"]["children"]]
                 for row in await db.fetch("SELECT envelope FROM outbox WHERE type = 'sprpa.children.imported.v1' "
                                           "ORDER BY position")]
    ids = [str(child) for child in whole.keys]
    assert announced == [ids[:1], ids[1:]], "each child announced once, by the batch that wrote it"


async def test_an_imports_events_built_without_models_are_what_the_models_make(db):
    """Issue 27: staging builds each row's `child.registered` entry, and the batch's
    `children.imported` events, as JSON without validating models again; they must be what the
    validated models make, and valid events of the contract."""
    places = await load_places(db)
    rows = []
    for number, row in enumerate([*GOOD, ["Joko", "male", "2013-05-05", "", "35.09.11.2007", "out_of_school", "no",
                                          "", "", "", "", "pekerja anak, rentan bekerja"]], start=2):
        fields = dict(zip([*ENGLISH, "mapping_categories"], row, strict=False))
        valid, problems = validate_row(number, fields, places=places, resolve=lambda *_: (None, "by code only"),
                                       principal=Principal(subject="probe", role=Role.NATIONAL_ADMIN),
                                       today=TODAY.date())
        assert problems == []
        rows.append(valid)
        child = uuid.uuid4()
        payload = events.registered_payload(child, valid.data, valid.classification, identified_through="import")
        model = events.registered(child, valid.data, valid.classification, identified_through="import")
        assert payload == model.model_dump(mode="json")
    assert any(row.data.mapping_categories for row in rows), "a row with mapping categories was compared"

    import_id, now = uuid.uuid4(), datetime.now(UTC)
    staged = store.stage(rows, child_id=store.ordered_ids("payload"), now=now, import_id=import_id)
    (made,) = [event for event in staged.announced if event.subject.endswith(".35.09")]
    envelope = Envelope.from_bytes(made.envelope.encode())
    imported = ChildrenImported.model_validate(envelope.data)
    by_id = {child: row for child, row in zip(staged.keys, rows, strict=True)}
    expected = ChildrenImported(import_id=import_id, regency_code="35.09", children=[
        events.registered(child, by_id[child].data, by_id[child].classification,
                          identified_through=store.IMPORTED_THROUGH)
        for child in staged.keys if by_id[child].data.village_code.startswith("35.09")])
    assert envelope.data == expected.model_dump(mode="json") and imported == expected
    assert (envelope.type, envelope.subject, envelope.source) == (ChildrenImported.event_type, str(import_id),
                                                                  "/sprpa/registry")


def test_an_import_begun_before_ids_were_ordered_makes_a_rows_id_the_uuid5_of_the_file_and_the_row():
    """Issue 27: the ids are made as text without a UUID object; an import begun before the ids
    were ordered (`imports.row_ids = 'file'`) must find, resumed, the same ids its first run wrote."""
    child_id = store.row_ids({"row_ids": store.BY_FILE, "sha256": "ab" * 32, "id": uuid.uuid4()})
    for row_number in [*range(2, 3000), 99_999, 1_000_001]:
        assert child_id(row_number) == str(uuid.uuid5(store.ROW_NAMESPACE, f"{'ab' * 32}:{row_number}"))


def test_an_imports_row_ids_are_ordered_by_row_and_the_same_for_every_import_of_the_file():
    """Issue 27: an import's children are keyed in the order of its rows (consecutive in every index
    keyed by child id), as UUID version 8; the same ids for every import of the file (resumed, or in
    the other mode), other ids for another file, and never an id of a child registered one by one
    (version 7) or imported before (version 5)."""
    child_id = store.row_ids({"row_ids": store.ORDERED, "sha256": "ab" * 32, "id": uuid.uuid4()})
    numbers = [0, 1, 2, 3, 999, 2 ** 20 - 1, 2 ** 20, 2 ** 20 + 1, 5_000_000, 2 ** 32 - 1]
    ids = [child_id(number) for number in numbers]
    made = [uuid.UUID(text) for text in ids]
    assert [str(value) for value in made] == ids, "canonical text"
    assert {(value.version, value.variant) for value in made} == {(8, uuid.RFC_4122)}
    assert made == sorted(made) and len(set(made)) == len(made), "in the order of the rows, each its own"
    row_bits = (0xFFF << 64) | (0xFFFFF << 42)  # the row number's 12 bits before the variant, 20 after
    assert [(value.int & row_bits) >> 42 for value in made] == [
        (number >> 20) << 22 | (number & 0xFFFFF) for number in numbers], "the row number"
    assert len({value.int & ~row_bits for value in made}) == 1, "the rest is the file's"
    assert ids == [store.ordered_ids("ab" * 32)(number) for number in numbers], "the same each time"
    assert not set(ids) & {store.ordered_ids("cd" * 32)(number) for number in numbers}, "another file's"
    for beyond in (-1, 2 ** 32):
        with pytest.raises(ValueError, match="beyond"):
            child_id(beyond)


async def test_an_import_accepted_now_keys_its_children_in_the_order_of_its_rows(api, db, as_):
    """Issue 27: an upload says its ids are ordered; its children's ids are the file's, by row."""
    content = csv_bytes(ENGLISH, GOOD)
    headers = as_("admin")
    accepted = await upload(api, headers, content)
    assert (await finished(api, headers, accepted.json()["id"]))["created_children"] == 3
    assert await db.fetchval("SELECT row_ids FROM imports") == "ordered"
    ids = [str(row["id"]) for row in await db.fetch("SELECT id FROM children ORDER BY id")]
    assert ids == [store.ordered_ids(hashlib.sha256(content).hexdigest())(row) for row in (2, 3, 4)]


async def test_an_import_accepted_before_the_ids_were_ordered_resumes_with_the_ids_of_its_file(
        registry_app, api, db, as_):
    """Issue 27: an import accepted before the upgrade that ordered the ids, and resumed after it,
    writes the children of its rows with the ids its first run wrote (uuid5 of the file and the
    row): a child that run wrote is found, not created again."""
    content = csv_bytes(ENGLISH, GOOD)
    sha, import_id = hashlib.sha256(content).hexdigest(), new_id()
    spool = registry_app.state.settings.import_spool_dir
    spool.mkdir(parents=True, exist_ok=True)
    (spool / f"{import_id}.upload").write_bytes(content)
    first_run = str(uuid.uuid5(store.ROW_NAMESPACE, f"{sha}:3"))  # Budi Santoso, row 3, written before the upgrade
    places = await load_places(db)
    principal = Principal(subject="admin-1", role=Role.NATIONAL_ADMIN)
    budi = validate_row(3, dict(zip(ENGLISH, GOOD[1], strict=True)), places=places, principal=principal,
                        resolve=lambda *_: (None, "by code only"), today=TODAY.date())[0]
    async with db.transaction():
        staged = store.stage([budi], child_id=store.child_ids(sha), now=datetime.now(UTC), import_id=import_id)
        assert await store.write_rows(db, staged, actor="admin-1", actor_role="national_admin") == [first_run]
    await db.execute(ACCEPTED_BEFORE, import_id, sha, len(content), "processing", HOST)
    await db.execute(f"SELECT pg_notify('{NOTIFY}', '')")
    result = await finished(api, as_("admin"), str(import_id))
    assert (result["status"], result["created_children"]) == ("completed", 2), "Budi's child is not made again"
    assert sorted(str(row["id"]) for row in await db.fetch("SELECT id FROM children")) == sorted(
        str(uuid.uuid5(store.ROW_NAMESPACE, f"{sha}:{row}")) for row in (2, 3, 4))


async def test_the_file_of_an_import_accepted_before_the_ids_were_ordered_keeps_its_ids_in_the_other_mode(
        api, db, as_):
    """Issue 27: a file imported before the upgrade, imported again after it in the other mode,
    maps its rows to the children the first import made (uuid5 of the file and the row)."""
    content = csv_bytes(ENGLISH, GOOD)
    sha = hashlib.sha256(content).hexdigest()
    await db.execute(ACCEPTED_BEFORE, new_id(), sha, len(content), "completed", HOST)
    headers = as_("admin")
    again = await upload(api, headers, content, mode="all_or_nothing")
    assert (await finished(api, headers, again.json()["id"]))["created_children"] == 3
    assert await db.fetchval("SELECT row_ids FROM imports WHERE id = $1", uuid.UUID(again.json()["id"])) == "file"
    assert sorted(str(row["id"]) for row in await db.fetch("SELECT id FROM children")) == sorted(
        str(uuid.uuid5(store.ROW_NAMESPACE, f"{sha}:{row}")) for row in (2, 3, 4))


async def test_the_upgrade_leaves_the_imports_already_accepted_with_the_ids_of_their_file(clean):
    """Issue 27 (migration 0028): imports accepted before it keep `row_ids = 'file'`, and so do
    those the previous release's replicas accept during a rolling update (they name no `row_ids`
    and make those ids)."""
    url = with_database(clean.database_url, "sprpa_test_registry_row_ids")
    await ensure_database(url)
    await upgrade_async(MIGRATIONS, url, "0027")
    connection = await asyncpg.connect(url)
    try:
        before, after = new_id(), new_id()
        await connection.execute(ACCEPTED_BEFORE, before, "ab" * 32, 1, "processing", "host")
        await upgrade_async(MIGRATIONS, url)
        await connection.execute(ACCEPTED_BEFORE, after, "cd" * 32, 1, "processing", "host")
        assert {row["id"]: row["row_ids"] for row in await connection.fetch("SELECT id, row_ids FROM imports")} == {
            before: "file", after: "file"}
    finally:
        await connection.close()
