"""Reports fed by events through real NATS, each figure checked against counts computed here
independently; percentages add up; small cells are suppressed against differencing; a rebuild
by replay gives byte-identical output."""

from __future__ import annotations

import csv
import io
import statistics
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from reports.readmodels import handlers
from reports.readmodels.rebuild import READ_MODELS, rebuild
from reports.tables import CODED, PLACES
from reports.testing import NOW, counted, history
from sprpa_contracts import events as ev
from sprpa_shared import regions
from sprpa_shared.events.consumer import by_class, handle_all
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database

PROGRESS = ["flagged", "referred", "in_remediation", "withdrawn", "prevented", "closed"]


@pytest.fixture
async def fed(reports, publish):
    app, api = reports
    h = history(count=80)
    for event, at in h.events:
        await publish(event, at=at)
    await publish.applied()
    return app, api, h


def rows(report: dict, table: str) -> dict:
    columns = report["tables"][table]["columns"]
    return {row[columns[0]]: row for row in report["tables"][table]["rows"]}


async def test_summary_counts_match_an_independent_count(fed, as_):
    _, api, h = fed
    report = (await api.get("/api/v1/reports/summary?place=35.09", headers=as_("operator"))).json()
    kids = counted(h)
    assert report["children_mapped"] == len(kids)
    assert {k: v["count"] for k, v in rows(report, "by_sex").items() if v["count"]} == Counter(c.sex for c in kids)
    assert {k: v["count"] for k, v in rows(report, "by_classification").items()} == Counter(
        c.classification for c in kids)
    assert {k: v["count"] for k, v in rows(report, "by_kecamatan").items()} == Counter(c.village[:8] for c in kids)
    assert {k: v["count"] for k, v in rows(report, "by_status").items()} == Counter(c.path[-1] for c in kids)
    assert {k: v["count"] for k, v in rows(report, "by_mapping_category").items()} == Counter(
        m for c in kids for m in c.mapping)
    bands = Counter("0-12" if NOW.year - c.birth_year <= 12 else "13-14" if NOW.year - c.birth_year <= 14
                    else "15-17" if NOW.year - c.birth_year <= 17 else "18+" for c in kids)
    assert {k: v["count"] for k, v in rows(report, "by_age_band").items() if v["count"]} == bands
    assert {k: v["count"] for k, v in rows(report, "case_progress").items()} == {
        status: sum(1 for c in kids if status in c.path) for status in PROGRESS}
    for table in ("by_sex", "by_classification", "by_kecamatan", "by_status", "by_age_band"):
        assert round(sum(r["percent"] for r in report["tables"][table]["rows"]), 1) == 100.0, table


async def test_a_desa_report_and_the_pilot_targets(fed, as_):
    """Issue 20, point 12: only desa the district made pilot villages carry targets (a kabupaten-wide
    import once turned every desa with a child into a 20/200 'pilot' village), and the report also
    follows the mapping target (220 children per desa) and the MOU target (30 providers)."""
    _, api, h = fed
    desa = "35.09.11.2007"
    report = (await api.get(f"/api/v1/reports/summary?place={desa}", headers=as_("cadre", desa))).json()
    assert report["children_mapped"] == len(counted(h, desa)) and "by_desa" not in report["tables"]
    before = (await api.get("/api/v1/reports/pilot?place=35.09", headers=as_("operator"))).json()
    assert before["villages"] == 0 and before["tables"]["pilot_progress"]["rows"] == [], "no pilot village yet"
    target = await api.put(f"/api/v1/reports/pilot/targets/{desa}", json={"withdrawn_target": 4,
                                                                          "prevented_target": 10},
                           headers=as_("operator"))
    assert target.status_code == 200 and target.json()["mapping_target"] == 220, target.text
    pilot = (await api.get("/api/v1/reports/pilot?place=35.09", headers=as_("operator"))).json()
    [row] = pilot["tables"]["pilot_progress"]["rows"]
    kids = [c for c in counted(h) if c.village == desa]
    assert row["desa"] == desa
    assert (row["mapped"], row["mapping_target"]) == (len(kids), 220)
    assert (row["withdrawn"], row["withdrawn_target"]) == (sum(1 for c in kids if "withdrawn" in c.path), 4)
    assert (row["prevented"], row["prevented_target"]) == (sum(1 for c in kids if "prevented" in c.path), 10)
    # Issue 20, point 13: a child withdrawn and then found working again is counted as relapsed, apart.
    relapsed = sum(1 for c in kids if c.path[-2:] == ["withdrawn", "assessed"])
    assert row["relapsed"] == relapsed and pilot["relapsed"] == relapsed
    assert row["withdrawn_percent"] == round(row["withdrawn"] * 100 / 4, 1)
    assert (pilot["villages"], pilot["withdrawn_target"], pilot["mapping_target"]) == (1, 4, 220)
    assert pilot["withdrawn"] == row["withdrawn"], "the kabupaten's total is its pilot villages' total"
    assert (pilot["mou_providers"], pilot["mou_target"]) == (h.mou_providers, 30)
    refused = await api.put("/api/v1/reports/pilot/targets/52.03.20.2006", headers=as_("operator"),
                            json={"withdrawn_target": 1, "prevented_target": 1})
    assert refused.status_code == 403


async def test_referral_performance_and_gaps_match(fed, as_):
    _, api, h = fed
    report = (await api.get("/api/v1/reports/referrals?place=35.09", headers=as_("operator"))).json()
    referrals = [r | {"village": c.village} for c in h.children for r in c.referrals if c.village.startswith("35.09")]
    assert report["offered"] == len(referrals)
    assert report["accepted"] == sum(1 for r in referrals if "accepted_hours" in r)
    assert report["completed"] == sum(1 for r in referrals if r["status"] == "completed")
    assert report["median_hours_to_accept"] == round(statistics.median(
        r["accepted_hours"] for r in referrals if "accepted_hours" in r), 1)
    served = sum(1 for r in referrals if r["status"] == "completed")
    assert report["share_served"] == round(served * 100 / len(referrals), 1)
    by_category = rows(report, "by_category")
    for category in {r["category"] for r in referrals}:
        mine = [r for r in referrals if r["category"] == category]
        assert by_category[category]["offered"] == len(mine)
        assert by_category[category]["declined"] == sum(1 for r in mine if r["status"] == "declined")
        assert by_category[category]["expired"] == sum(1 for r in mine if r["status"] == "expired")
    names = {row["organization"] for row in report["tables"]["by_provider"]["rows"]}
    assert names <= {"PKBM Tunas Harapan", "LPA Jember"}

    gaps = (await api.get("/api/v1/reports/gaps?place=35.09", headers=as_("operator"))).json()
    expected = [g for g in h.gaps if g[1].startswith("35.09")]
    assert gaps["gaps"] == len(expected)
    assert {k: v["count"] for k, v in rows(gaps, "by_category").items()} == Counter(g[0] for g in expected)


async def test_analysts_get_small_cells_suppressed_and_differencing_recovers_nothing(fed, as_):
    _, api, h = fed
    full = (await api.get("/api/v1/reports/summary?place=35.09", headers=as_("operator"))).json()
    hidden = (await api.get("/api/v1/reports/summary?place=35.09", headers=as_("analyst"))).json()
    assert hidden["suppressed"] is True and full["suppressed"] is False
    assert any(row["count"] == "<5" for table in hidden["tables"].values() for row in table["rows"])
    for name, table in hidden["tables"].items():
        counts = [row["count"] for row in table["rows"]]
        small = [c for c in counts if c == "<5"]
        assert all(not isinstance(c, int) or c == 0 or c >= 5 for c in counts), name
        assert len(small) != 1, f"{name}: a single hidden cell is recoverable from the total"
        shown = sum(c for c in counts if isinstance(c, int))
        truth = [row["count"] for row in full["tables"][name]["rows"]]
        if small and name != "by_mapping_category":  # the differencing attempt: total minus the shown cells
            remainder = hidden["children_mapped"] - shown
            assert remainder == sum(t for t, c in zip(truth, counts, strict=True) if c == "<5")
            assert len(small) >= 2  # the remainder is spread over several hidden cells: none is recovered
        for row in table["rows"]:
            if row["count"] == "<5" and "percent" in row:
                assert row["percent"] is None


HIDDEN = "<5"
REPORTS = ("summary", "pilot", "referrals", "gaps", "programme", "kla")


def _recovered(report: dict) -> list[str]:
    """Every way we know to recompute a hidden count from what an analyst is shown: a percentage of a
    visible target or denominator, a share of the visible children served, achievement or points of
    a visible denominator, and the total points less the visible ones."""
    found = []
    for name, table in report["tables"].items():
        for row in table["rows"]:
            hidden = {column for column, value in row.items() if value == HIDDEN}
            for column in hidden:
                for derived in (f"{column}_percent", "percent", "share_served", "achievement_percent", "points",
                                "median_hours_to_accept", "median_hours_to_complete"):
                    if derived in row and derived not in hidden and isinstance(row[derived], (int, float)) \
                            and (derived.startswith(column) or derived in ("percent", "share_served")
                                 or column in ("numerator", "denominator")
                                 or column in ("accepted", "completed", "offered")):
                        found.append(f"{name}.{column} from {derived}={row[derived]}")
        points = [row.get("points") for row in table["rows"] if "points" in row]
        if points and any(p is None or p == HIDDEN for p in points) and isinstance(report.get("total_points"),
                                                                                   (int, float)):
            found.append(f"{name}.points from total_points={report['total_points']}")
    return found


LABEL = object()  # a cell holding a code's label or a place's name (the export tests check those)


@pytest.mark.parametrize("report", REPORTS)
async def test_no_hidden_cell_of_any_report_is_recomputed_from_what_an_analyst_is_shown(fed, as_, report):
    """Issue 19, point 4: percentages beside a visible target or denominator undid the suppression
    ("<5 / 20" next to "5.0"). Every report, the JSON and the exports."""
    _, api, _ = fed
    await api.put("/api/v1/reports/pilot/targets/35.09.11.2007", json={"withdrawn_target": 4,
                                                                          "prevented_target": 10},
                  headers=as_("operator"))
    await api.put(f"/api/v1/reports/kla/35.09/{NOW.year}/12", json={"achievement_percent": 60, "evidence": "SK"},
                  headers=as_("operator"))
    shown = (await api.get(f"/api/v1/reports/{report}?place=35.09", headers=as_("analyst"))).json()
    full = (await api.get(f"/api/v1/reports/{report}?place=35.09", headers=as_("operator"))).json()
    assert shown["suppressed"] is True
    assert not _recovered(shown), _recovered(shown)
    small = [(name, column) for name, table in full["tables"].items() for row in table["rows"]
             for column, value in row.items() if isinstance(value, int) and 0 < value < 5
             and column in ("count", "withdrawn", "prevented", "numerator", "offered", "accepted", "completed")]
    if report in ("pilot", "programme", "kla"):
        assert small, f"the fixture gives the {report} report small cells to hide"
    exported = (await api.get(f"/api/v1/reports/{report}?place=35.09&format=csv&lang=en",
                              headers=as_("analyst"))).content.decode("utf-8-sig")
    lines = [line for line in csv.reader(io.StringIO(exported, newline="")) if line and line[0] != "Table"]

    def cells(row: dict, columns: list[str]) -> list[str]:
        """The JSON row as the export writes it: a coded column as its label (not compared here) and
        its code beside it."""
        out = []
        for column in columns:
            value = "" if row.get(column) is None else str(row[column])
            out += [LABEL, value] if column in CODED or column in PLACES else [value]
        return out

    expected = [[name, *cells(row, table["columns"])] for name, table in shown["tables"].items()
                for row in table["rows"]]
    written = [[LABEL if want == LABEL else cell.lstrip("'") for cell, want in zip(line, row, strict=True)]
               for line, row in zip((line for line in lines if line[0] in shown["tables"]), expected, strict=True)]
    assert written == expected, "the export shows exactly what the JSON shows, suppression included"


async def test_exports_in_both_languages(fed, as_):
    _, api, _ = fed
    csv_id = await api.get("/api/v1/reports/summary?place=35.09&format=csv", headers=as_("operator"))
    assert csv_id.status_code == 200 and csv_id.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_id.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(csv_id.content.decode("utf-8-sig"))))
    assert lines[0] == ["Tabel", "Kategori pemetaan", "Kode kategori pemetaan", "Jumlah"]
    # Issue 20, point 15: values and places read as words and names, the codes in their own column.
    cells = {(row[0], row[2]): row[1] for row in lines if len(row) > 2}
    assert cells[("by_mapping_category", "child_labour")] == "Pekerja anak"
    assert cells[("by_sex", "female")] == "Perempuan"
    assert cells[("by_kecamatan", "35.09.11")] == "Wuluhan"
    assert "female" not in {row[1] for row in lines if len(row) > 1}
    csv_en = await api.get("/api/v1/reports/summary?place=35.09&format=csv&lang=en", headers=as_("operator"))
    assert csv_en.content.decode("utf-8-sig").startswith("Table,Mapping category,Mapping category code,Count")
    english = {(row[0], row[2]): row[1] for row in csv.reader(io.StringIO(csv_en.content.decode("utf-8-sig")))
               if len(row) > 2}
    assert english[("by_sex", "female")] == "Female" and english[("by_kecamatan", "35.09.11")] == "Wuluhan"
    xlsx = await api.get("/api/v1/reports/referrals?place=35.09&format=xlsx", headers=as_("operator"))
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames == ["by_category", "by_provider"]
    assert workbook["by_category"]["A1"].value == "Kategori layanan"
    assert workbook["by_category"]["B1"].value == "Kode kategori layanan"
    by_code = {row[1]: row[0] for row in workbook["by_category"].iter_rows(min_row=2, values_only=True)}
    assert by_code["education.equivalency"] == "Kejar Paket A/B/C (kesetaraan)"


async def test_who_may_read_which_report(fed, as_):
    _, api, _ = fed
    path = "/api/v1/reports/summary"
    assert (await api.get(f"{path}?place=35.09", headers=as_("operator", "52.03"))).status_code == 403
    assert (await api.get(path, headers=as_("operator"))).status_code == 403  # national: admins only
    assert (await api.get(path, headers=as_("admin"))).status_code == 200
    assert (await api.get(f"{path}?place=35.09", headers=as_("provider"))).status_code == 403
    assert (await api.get(f"{path}?place=35.09", headers=as_("cadre"))).status_code == 403  # the cadre's desa only
    bad = await api.get(f"{path}?place=35.9", headers=as_("admin"))
    assert bad.status_code == 422 and bad.json()["errors"]
    assert (await api.get(f"{path}?place=35.09&from=2026-12-01&to=2026-11-01",
                          headers=as_("operator"))).status_code == 422
    assert (await api.get(path)).status_code == 401


async def test_every_report_read_and_export_is_audited(fed, as_):
    app, api, _ = fed
    await api.get("/api/v1/reports/summary?place=35.09&format=csv", headers=as_("analyst"))
    async with database(app) as db:
        row = await db.fetchrow("SELECT actor_role, action FROM audit_log ORDER BY id DESC LIMIT 1")
    assert row["actor_role"] == "analyst" and row["action"].startswith("report summary 35.09") and \
        row["action"].endswith(" csv")


async def test_a_rebuild_by_replay_gives_byte_identical_reports(fed, as_, publish):
    app, api, _ = fed
    paths = [f"/api/v1/reports/{name}?place=35.09{fmt}" for name in ("summary", "pilot", "referrals", "gaps")
             for fmt in ("", "&format=csv")]
    before = [(await api.get(path, headers=as_("operator"))).content for path in paths]
    async with database(app) as db:  # a read model the rebuild did not empty would count twice
        tables = await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                "AND tablename LIKE 'rm\\_%'")
        assert {r["tablename"] for r in tables} == set(READ_MODELS)
    await rebuild(app.state.settings)
    async with database(app) as db:
        assert await db.fetchval("SELECT count(*) FROM rm_children") == 0
    await publish.applied(timeout=90)
    after = [(await api.get(path, headers=as_("operator"))).content for path in paths]
    assert after == before


async def test_freshness_shows_each_streams_lag(fed, as_):
    _, api, _ = fed
    body = (await api.get("/api/v1/reports/freshness", headers=as_("operator"))).json()
    consumers = {c["consumer"]: c for c in body["consumers"]}
    assert set(consumers) == {"reports-registry", "reports-referral", "reports-providers"}
    assert all(c["events_applied"] > 0 for c in consumers.values())

    async def drained() -> bool:
        again = (await api.get("/api/v1/reports/freshness", headers=as_("operator"))).json()
        return all(c["pending"] == 0 for c in again["consumers"])

    await wait_until(drained, what="nothing pending")


async def test_programme_tables_of_the_children_served(fed, as_):
    _, api, h = fed
    report = (await api.get("/api/v1/reports/programme?place=35.09", headers=as_("operator"))).json()
    served = [c for c in counted(h) if any(r["status"] == "completed" for r in c.referrals)]
    assert report["children_served"] == len(served) > 0
    assert {k: v["count"] for k, v in rows(report, "by_sex").items() if v["count"]} == Counter(c.sex for c in served)
    assert {k: v["count"] for k, v in rows(report, "by_age").items()} == Counter(
        str(NOW.year - c.birth_year) for c in served)
    delivered = Counter(category for c in served for category in {r["category"] for r in c.referrals
                                                                    if r["status"] == "completed"})
    assert {k: v["count"] for k, v in rows(report, "by_service").items()} == delivered
    courses = Counter(course for c in served for course in {r["course"] for r in c.referrals
                                                            if r["status"] == "completed" and r["course"]})
    assert {k: v["count"] for k, v in rows(report, "by_course_type").items()} == courses
    assert report["apprentices"] == delivered["skills.apprenticeship"]
    for table in ("by_sex", "by_age", "by_school_status", "by_living_arrangement"):
        assert round(sum(r["percent"] for r in report["tables"][table]["rows"]), 1) == 100.0, table


async def test_kla_indicators_from_the_data_and_the_scorecard(fed, as_):
    _, api, h = fed
    report = (await api.get("/api/v1/reports/kla?place=35.09&year=2026", headers=as_("operator"))).json()
    card = rows(report, "scorecard")
    assert len(card) == 31 and sum(row["weight"] for row in card.values()) == 1000
    flagged = [c for c in counted(h) if "flagged" in c.path]
    served = [c for c in flagged if any(r["status"] == "completed" for r in c.referrals)]
    worst = [c for c in flagged if c.classification == "worst_form"]
    freed = [c for c in worst if "withdrawn" in c.path]
    assert (card[28]["numerator"], card[28]["denominator"]) == (len(served), len(flagged))
    assert (card[31]["numerator"], card[31]["denominator"]) == (len(freed), len(worst))
    # Issue 20, point 11: indicator 5 scored 100% once one child existed (numerator = denominator).
    kecamatan = {c.village[:8] for c in counted(h)}  # every child was registered this year
    assert (card[5]["numerator"], card[5]["denominator"]) == (len(kecamatan), 31)  # Jember has 31 kecamatan
    assert card[5]["points"] == round(50 * len(kecamatan) / 31, 1) < 50
    assert report["desa_updated"] == len({c.village for c in counted(h)})
    assert card[28]["points"] == round(40 * len(served) / len(flagged), 1)
    # The profile the regulation asks for: sex x single-year age x kecamatan, every child once.
    profile = report["tables"]["child_profile"]["rows"]
    assert Counter({(r["kecamatan"], r["sex"], r["age"]): r["count"] for r in profile}) == Counter(
        (c.village[:8], c.sex, 2026 - c.birth_year) for c in counted(h))
    profile_csv = await api.get("/api/v1/reports/kla?place=35.09&year=2026&format=csv", headers=as_("operator"))
    assert ["child_profile", "Wuluhan", "35.09.11"] in [row[:3] for row in csv.reader(
        io.StringIO(profile_csv.content.decode("utf-8-sig")))]
    # Each year on its own, beside the year before (nothing happened in 2025).
    trend = report["tables"]["indicator_trend"]["rows"]
    assert [(r["indicator"], r["year"], r["numerator"], r["denominator"]) for r in trend if r["indicator"] == 28] \
        == [(28, 2025, 0, 0), (28, 2026, len(served), len(flagged))]
    by_sex = {r["sex"]: r for r in report["tables"]["indicator_28_by_sex"]["rows"]}
    assert sum(r["denominator"] for r in by_sex.values()) == len(flagged)
    assert {k: r["numerator"] for k, r in by_sex.items()} == {
        sex: sum(1 for c in served if c.sex == sex) for sex in {c.sex for c in flagged}}
    assert sum(r["numerator"] for r in report["tables"]["indicator_31_by_age"]["rows"]) == len(freed)
    earlier = (await api.get("/api/v1/reports/kla?place=35.09&year=2025", headers=as_("operator"))).json()
    assert earlier["year"] == 2025 and rows(earlier, "scorecard")[28]["denominator"] == 0
    assert card[12]["source"] == "district" and card[12]["points"] == 0

    path = "/api/v1/reports/kla/35.09/2026/12"
    body = {"achievement_percent": 75, "evidence": "Perbup 12/2026 tentang pusat konsultasi keluarga"}
    assert (await api.put(path, json=body, headers=as_("operator"))).status_code == 428
    entered = await api.put(path, json=body, headers=as_("operator") | {"If-Match": '"0"'})
    assert entered.status_code == 200 and entered.headers["etag"] == '"1"'
    assert (await api.put(path, json=body, headers=as_("operator") | {"If-Match": '"0"'})).status_code == 412
    assert (await api.put("/api/v1/reports/kla/35.09/2026/28", json=body,
                          headers=as_("operator") | {"If-Match": '"0"'})).status_code == 409
    assert (await api.put(path, json=body | {"evidence": "x"},
                          headers=as_("operator") | {"If-Match": '"1"'})).status_code == 422
    assert (await api.put("/api/v1/reports/kla/52.03/2026/12", json=body,
                          headers=as_("operator") | {"If-Match": '"0"'})).status_code == 403
    again = (await api.get("/api/v1/reports/kla?place=35.09&year=2026", headers=as_("operator"))).json()
    assert rows(again, "scorecard")[12]["points"] == 18.8  # 25 points x 75%
    assert again["total_points"] == round(report["total_points"] + 18.8, 1)


async def test_the_scorecard_totals_1000_when_every_indicator_is_met(reports, publish, as_):
    _, api = reports
    child, village = uuid.uuid4(), "35.09.11.2007"
    await publish(ev.ChildRegistered(child_id=child, village_code=village, sex="male", birth_year=2011,
                                     mapping_categories=["child_labour"], classification="worst_form"),
                  at=NOW - timedelta(days=30))
    await publish(ev.CaseFlagged(child_id=child, village_code=village, age=15, sex="male",
                                 classification="worst_form", needs=["legal.aid"]), at=NOW - timedelta(days=20))
    common = dict(referral_id=uuid.uuid4(), child_id=child, village_code=village, need="legal.aid",
                  organization_id=uuid.uuid4(), need_id=uuid.uuid4(), on=NOW.date())
    await publish(ev.ReferralStatusChanged(status="completed", outcome="service_delivered", **common),
                  at=NOW - timedelta(days=5))
    await publish(ev.CaseStatusChanged(child_id=child, village_code=village, from_status="in_remediation",
                                       to_status="withdrawn"), at=NOW - timedelta(days=2))
    # Indicator 5 is met when every kecamatan of the kabupaten has child data updated in the year.
    with (regions.data_dir() / "districts.csv").open(newline="") as districts:
        kecamatan = [row["code"] for row in csv.DictReader(districts) if row["regency_code"] == "35.09"]
    for code in kecamatan:
        await publish(ev.ChildRegistered(child_id=uuid.uuid4(), village_code=f"{code}.2001", sex="female",
                                         birth_year=2013, classification="at_risk"), at=NOW - timedelta(days=10))
    await publish.applied()
    for number in range(1, 32):
        if number not in (5, 28, 31):
            response = await api.put(f"/api/v1/reports/kla/35.09/2026/{number}", headers=as_("operator") | {
                "If-Match": '"0"'}, json={"achievement_percent": 100, "evidence": f"bukti indikator {number} lengkap"})
            assert response.status_code == 200
    report = (await api.get("/api/v1/reports/kla?place=35.09&year=2026", headers=as_("operator"))).json()
    assert report["total_points"] == 1000


async def test_an_event_shows_in_the_reports_within_a_second(reports, publish):
    app, _ = reports
    took = []
    async with database(app) as db:
        for index in range(61):  # the first creates the stream and waits for the consumer to bind: not counted
            child = uuid.uuid4()
            started = time.perf_counter()
            await publish(ev.ChildRegistered(child_id=child, village_code="35.09.11.2007", sex="female",
                                             birth_year=2012, classification="child_labour"))

            async def applied(child=child) -> bool:
                return await db.fetchval("SELECT count(*) FROM rm_children WHERE child_id = $1", child) == 1

            await wait_until(applied, timeout=10, interval=0.005, what=f"event {index} applied")
            took.append(time.perf_counter() - started)
    took = sorted(took[1:])
    p99 = took[round(0.99 * (len(took) - 1))]
    print(f"publish-to-report: p50 {took[len(took) // 2] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    assert p99 < 1.0


async def test_a_run_of_registrations_is_written_at_once_with_the_effect_of_one_by_one(reports):
    app, _ = reports
    consumer = "reports-registry-run-test"
    events = [ev.ChildRegistered(child_id=uuid.uuid4(), village_code=f"35.09.11.200{n % 3 + 1}",
                                 sex=("female", "male")[n % 2], birth_year=2008 + n % 9,
                                 mapping_categories=[["child_labour"], ["at_risk", "orphan"], []][n % 3],
                                 classification=["worst_form", "child_labour", "not_at_risk"][n % 3],
                                 school_status=["in_school", "out_of_school", None][n % 3],
                                 living_arrangement=["with_family", None, "street"][n % 3]) for n in range(30)]
    envelopes = [Envelope.wrap(event, time=NOW - timedelta(minutes=n)) for n, event in enumerate(events)]
    by_type = by_class(handlers.REGISTRY)
    async with database(app) as db:
        counted_before = await db.fetchval("SELECT coalesce(sum(n), 0) FROM rm_child_counts WHERE dimension = 'all'")

        assert await handle_all(app.state.sessions, consumer, by_type, envelopes + envelopes[:5],
                                before=handlers.progress(consumer)) == [True] * 30 + [False] * 5

        stored = {row["child_id"]: row for row in await db.fetch(
            "SELECT * FROM rm_children WHERE child_id = ANY($1::uuid[])", [event.child_id for event in events])}
        for event, envelope in zip(events, envelopes, strict=True):
            row = stored[event.child_id]
            assert (row["village_code"], row["sex"], row["birth_year"], row["mapping_categories"],
                    row["classification"], row["school_at_intake"], row["school_status"], row["living_arrangement"],
                    row["registered_at"], row["status"]) == (
                event.village_code, event.sex, event.birth_year, event.mapping_categories, event.classification,
                event.school_status, event.school_status, event.living_arrangement, envelope.time, "identified")
        assert await db.fetchval("SELECT coalesce(sum(n), 0) FROM rm_child_counts WHERE dimension = 'all'") == (
            counted_before + 30), "the counters count each child of the run once"
        progress = await db.fetchrow("SELECT events, last_event_at FROM rm_progress WHERE consumer = $1", consumer)
        assert (progress["events"], progress["last_event_at"]) == (30, NOW)


async def test_a_service_delivered_on_paper_counts_in_the_month_it_was_delivered(reports, publish, as_):
    """Issue 20, point 9: a provider types in November's delivery on 1 December, giving its day;
    the programme report counts it in November, not in December."""
    _, api = reports
    child, village = uuid.uuid4(), "35.09.11.2007"
    await publish(ev.ChildRegistered(child_id=child, village_code=village, sex="female", birth_year=2012,
                                     classification="child_labour"), at=NOW - timedelta(days=40))
    common = dict(referral_id=uuid.uuid4(), child_id=child, village_code=village, need="psychosocial.counselling",
                  organization_id=uuid.uuid4(), need_id=uuid.uuid4())
    offered = NOW - timedelta(days=30)
    await publish(ev.ReferralStatusChanged(status="offered", on=offered.date(), **common), at=offered)
    await publish(ev.ReferralStatusChanged(status="accepted", on=offered.date(), **common), at=offered)
    typed = NOW + timedelta(days=8)  # 1 December
    await publish(ev.ReferralStatusChanged(status="in_service", on=offered.date(), **common), at=typed)
    await publish(ev.ReferralStatusChanged(status="completed", outcome="service_delivered",
                                           on=(NOW - timedelta(days=13)).date(), **common), at=typed)
    await publish.applied()

    async def served(first: str, last: str) -> int:
        response = await api.get(f"/api/v1/reports/programme?place=35.09&from={first}&to={last}",
                                 headers=as_("operator"))
        assert response.status_code == 200, response.text
        return response.json()["children_served"]

    assert await served("2026-11-01", "2026-11-30") == 1
    assert await served("2026-12-01", "2026-12-31") == 0


async def test_the_programme_report_has_the_field_reports_dimensions(reports, publish, as_):
    """Issue 20, point 14: services by the partner that delivered them, sessions per service,
    equivalency programmes in school status, how children were identified, the worst form or
    hazard behind a classification, the columns' moment named, and a partner's own programme."""
    _, api = reports
    lpa, pkbm = uuid.uuid4(), uuid.uuid4()
    for org, name in ((lpa, "LPA Jember"), (pkbm, "PKBM Tunas Harapan")):
        await publish(ev.OrganizationUpserted(organization_id=org, regency_code="35.09", organization_name=name,
                                              kind="ngo", backbone_for=[], version=1), at=NOW - timedelta(days=60))
    children = [
        (uuid.uuid4(), "raid", "equivalency", ["worst_form.commercial_sexual_exploitation"]),
        (uuid.uuid4(), "outreach", "out_of_school", ["hazard.green_tobacco", "hazard.pesticides"]),
        (uuid.uuid4(), "school", "in_school", []),
    ]
    for child, through, school, basis in children:
        await publish(ev.ChildRegistered(child_id=child, village_code="35.09.11.2007", sex="female", birth_year=2011,
                                         classification="child_labour", school_status=school,
                                         identified_through=through, classification_basis=basis),
                      at=NOW - timedelta(days=50))
    delivered = [(children[0][0], lpa, "psychosocial.counselling", 8), (children[0][0], pkbm, "education.equivalency",
                                                                        None),
                 (children[1][0], lpa, "psychosocial.counselling", 4), (children[2][0], pkbm, "education.remedial", 12)]
    for child, org, need, sessions in delivered:
        await publish(ev.ReferralStatusChanged(
            referral_id=uuid.uuid4(), child_id=child, village_code="35.09.11.2007", need=need, organization_id=org,
            need_id=uuid.uuid4(), status="completed", outcome="service_delivered", sessions=sessions,
            on=(NOW - timedelta(days=10)).date()), at=NOW - timedelta(days=10))
    await publish.applied()

    report = (await api.get("/api/v1/reports/programme?place=35.09", headers=as_("operator"))).json()
    assert report["children_served"] == 3
    by_provider = {(r["organization"], r["category"]): r["count"]
                   for r in report["tables"]["services_by_provider"]["rows"]}
    assert by_provider == {("LPA Jember", "psychosocial.counselling"): 2,
                           ("PKBM Tunas Harapan", "education.equivalency"): 1,
                           ("PKBM Tunas Harapan", "education.remedial"): 1}
    sessions = {r["category"]: (r["count"], r["sessions"]) for r in report["tables"]["sessions_by_service"]["rows"]}
    assert sessions == {"psychosocial.counselling": (2, 12), "education.remedial": (1, 12)}
    assert {r["school_status"]: r["count"] for r in report["tables"]["by_school_status"]["rows"]} == {
        "equivalency": 1, "out_of_school": 1, "in_school": 1}
    assert {r["identified_through"]: r["count"] for r in report["tables"]["by_identification"]["rows"]} == {
        "raid": 1, "outreach": 1, "school": 1}
    assert {r["classification_basis"]: r["count"] for r in report["tables"]["by_exploitation_type"]["rows"]} == {
        "worst_form.commercial_sexual_exploitation": 1, "hazard.green_tobacco": 1, "hazard.pesticides": 1,
        "none": 1}
    assert "at intake" in " ".join(report["tables"]["by_school_status"]["notes"])
    assert "now" in " ".join(report["tables"]["by_living_arrangement"]["notes"])

    own = (await api.get(f"/api/v1/reports/programme?place=35.09&organization_id={pkbm}",
                         headers=as_("operator"))).json()
    assert own["children_served"] == 2
    assert {r["organization"] for r in own["tables"]["services_by_provider"]["rows"]} == {"PKBM Tunas Harapan"}
    exported = await api.get("/api/v1/reports/programme?place=35.09&format=csv", headers=as_("operator"))
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert ["by_exploitation_type", "Eksploitasi seksual komersial", "worst_form.commercial_sexual_exploitation",
            "1"] in lines
    assert ["by_identification", "Razia bersama Dinsos/Satpol PP", "raid", "1", "33.3"] in lines


async def test_ages_are_the_ages_on_the_reports_last_day(reports, publish, as_):
    """Issue 20, point 14: a child born in December 2011 is 14 on 23 November 2026, not 2026 - 2011."""
    _, api = reports
    child = uuid.uuid4()
    await publish(ev.ChildRegistered(child_id=child, village_code="35.09.11.2007", sex="male", birth_year=2011,
                                     birth_month="2011-12", classification="child_labour"),
                  at=NOW - timedelta(days=40))
    await publish(ev.ReferralStatusChanged(
        referral_id=uuid.uuid4(), child_id=child, village_code="35.09.11.2007", need="legal.aid",
        organization_id=uuid.uuid4(), need_id=uuid.uuid4(), status="completed", outcome="service_delivered",
        on=(NOW - timedelta(days=5)).date()), at=NOW - timedelta(days=5))
    await publish.applied()
    summary = (await api.get("/api/v1/reports/summary?place=35.09", headers=as_("operator"))).json()
    assert {r["age_band"]: r["count"] for r in summary["tables"]["by_age_band"]["rows"] if r["count"]} == {"13-14": 1}
    programme = (await api.get("/api/v1/reports/programme?place=35.09", headers=as_("operator"))).json()
    assert [(r["age"], r["count"]) for r in programme["tables"]["by_age"]["rows"]] == [("14", 1)]
    december = (await api.get("/api/v1/reports/summary?place=35.09&to=2026-12-31", headers=as_("operator"))).json()
    assert {r["age_band"]: r["count"] for r in december["tables"]["by_age_band"]["rows"] if r["count"]} == {
        "15-17": 1}
