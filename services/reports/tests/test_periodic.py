"""The periodic report (issue 26, point 7), fed by events on real NATS into real PostgreSQL: targets
against achievements from entered data (1,760 mapped, 160 withdrawn, 1,600 prevented over the 8
pilot desa, 30 MOU providers), activities and reach, costs that add up across their breakdowns,
and the PDF, rendered in the test to an image (pdftoppm) and read back (pdftotext)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from nats.js.errors import NotFoundError
from openpyxl import load_workbook
from PIL import Image

from reports.testing import NOW
from sprpa_contracts import events as ev
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.events.streams import DEAD_LETTER_STREAM
from sprpa_shared.testing import wait_until

PILOT = ["35.09.11.2007", "35.09.08.2005", "52.03.20.2006", "52.03.01.2001", "52.03.01.2002", "52.08.01.2001",
         "52.08.01.2002", "52.08.02.2001"]
KESILIR = PILOT[0]
NOVEMBER = NOW - timedelta(days=10)  # 2026-11-13
OCTOBER = NOW - timedelta(days=40)


def child(village: str, sex: str = "female") -> ev.ChildRegistered:
    return ev.ChildRegistered(child_id=uuid.uuid4(), village_code=village, sex=sex, birth_year=2012,
                              mapping_categories=["at_risk"], classification="at_risk",
                              school_status="in_school", living_arrangement="with_family")


@pytest.fixture
async def programme(reports, publish, as_):
    """Entered data: the 8 pilot desa's targets (the plan's defaults), 12 children, 3 withdrawn and 4
    prevented (2 by activities, 2 by services, one of them in October), 2 providers under MOU, a
    Forum Anak with anonymous and registered participants, costs, and institutions."""
    _, api = reports
    for village in PILOT:
        region = village[:5]
        response = await api.put(f"/api/v1/reports/pilot/targets/{village}", json={}, headers=as_("operator", region))
        assert response.status_code == 200, response.text
    children = [child(PILOT[i % 8], "male" if i % 3 else "female") for i in range(12)]
    for registered in children:
        await publish(registered, at=OCTOBER)
    moves = [(children[0], "withdrawn", None, NOVEMBER), (children[1], "withdrawn", None, NOVEMBER),
             (children[2], "withdrawn", None, NOVEMBER), (children[3], "prevented", "activities", NOVEMBER),
             (children[8], "prevented", "activities", NOVEMBER), (children[5], "prevented", "service", NOVEMBER),
             (children[6], "prevented", "service", OCTOBER + timedelta(days=1))]
    for moved, status, basis, at in moves:
        await publish(ev.CaseStatusChanged(child_id=moved.child_id, village_code=moved.village_code,
                                           from_status="in_remediation", to_status=status, basis=basis), at=at)
    for number, org in enumerate((uuid.UUID(int=301), uuid.UUID(int=302))):
        await publish(ev.MouChanged(mou_id=uuid.uuid5(org, "mou"), organization_id=org, regency_code="35.09",
                                    signed_date=date(2026, 1, 5), valid_from=date(2026, 1, 10),
                                    valid_until=date(2027, 6, 30), terminated_on=None,
                                    service_categories=["education.equivalency"], status="active",
                                    as_of=date(2026, 1, 10 + number)), at=OCTOBER)
    forum = uuid.uuid4()
    await publish(ev.ActivityRecorded(activity_id=forum, village_code=KESILIR, kind="forum_anak_session",
                                      recurring=True), at=OCTOBER)
    for day, kids in ((date(2026, 11, 7), [children[0], children[8]]), (date(2026, 11, 14), [children[8]])):
        await publish(ev.ActivitySessionRecorded(
            activity_id=forum, village_code=KESILIR, kind="forum_anak_session", session_id=uuid.uuid4(),
            held_on=day, child_ids=[k.child_id for k in kids], anonymous=[
                ev.AttendanceCount(sex="female", age_band="13_14", count=7),
                ev.AttendanceCount(sex="male", age_band="15_17", count=5)]), at=NOVEMBER)
    referral = uuid.uuid4()
    costs = [(750_000, "csr", dict(referral_id=referral, child_id=children[5].child_id,
                                   service_code="education.equivalency", organization_id=uuid.UUID(int=301)),
              KESILIR),
             (250_000, "apbd", dict(referral_id=uuid.uuid4(), child_id=children[5].child_id,
                                    service_code="health.basic_check", organization_id=uuid.UUID(int=302)), KESILIR),
             (400_000, "csr", dict(referral_id=uuid.uuid4(), child_id=children[1].child_id,
                                   service_code="education.equivalency", organization_id=uuid.UUID(int=301)),
              PILOT[1]),
             (1_200_000, "dana_desa", dict(activity_id=forum, activity_kind="forum_anak_session"), KESILIR)]
    for amount, source, target, village in costs:
        await publish(ev.CostRecorded(cost_id=uuid.uuid4(), village_code=village, amount_idr=amount,
                                      funding_source=source, spent_on=date(2026, 11, 12), **target), at=NOVEMBER)
    for kind, status, decreed in (("fad", "active", date(2026, 5, 2)), ("patbm", "formed", None),
                                  ("gtdla", "planned", None)):
        await publish(ev.InstitutionChanged(institution_id=uuid.uuid4(), village_code=KESILIR, type=kind,
                                            status=status, decreed_on=decreed, members=9,
                                            changed_on=date(2026, 10, 1)), at=OCTOBER)
    await publish.applied()
    return api, children


def by(table: dict, key: str) -> dict:
    return {row[key]: row for row in table["rows"]}


async def test_the_programme_report_against_the_plans_targets(programme, as_):
    api, children = programme
    response = await api.get("/api/v1/reports/periodic?period=2026-11", headers=as_("admin"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["kind"], report["period"]) == ("monthly", {"from": "2026-11-01", "to": "2026-11-23"})
    targets = by(report["tables"]["targets"], "target_indicator")
    assert (targets["mapped"]["to_date"], targets["mapped"]["target"]) == (12, 1760)
    assert targets["mapped"]["in_period"] == 0, "all twelve were registered in October"
    assert (targets["withdrawn"]["in_period"], targets["withdrawn"]["target"]) == (3, 160)
    assert (targets["prevented"]["in_period"], targets["prevented"]["to_date"], targets["prevented"]["target"]) == (
        3, 4, 1600)
    assert (targets["mou_providers"]["to_date"], targets["mou_providers"]["target"]) == (2, 30)
    assert targets["withdrawn"]["of_target_percent"] == round(3 * 100 / 160, 1)
    assert (targets["institutions_formed"]["to_date"], targets["institutions_decreed"]["to_date"]) == (2, 1)
    prevented = by(report["tables"]["prevented_by_basis"], "prevention_basis")
    assert (prevented["activities"]["count"], prevented["service"]["count"]) == (2, 1)
    which = {row["child_id"]: row["prevention_basis"] for row in report["tables"]["prevented_children"]["rows"]}
    assert which == {str(children[3].child_id): "activities", str(children[8].child_id): "activities",
                     str(children[5].child_id): "service"}, "which children count, and why"

    # Anonymous attendance is reach, never a prevented child: 24 participants over two sessions.
    assert (report["anonymous_reach"], report["sessions"], report["registered_children_reached"]) == (24, 2, 2)
    reach = {(r["sex"], r["age_group"]): r["count"] for r in report["tables"]["reach_by_sex_age"]["rows"]}
    assert (reach[("female", "13_14")], reach[("male", "15_17")], reach[("male", "adult")]) == (14, 10, 0)
    assert report["prevented"] == 3


async def test_costs_add_up_across_every_breakdown(programme, as_):
    api, children = programme
    report = (await api.get("/api/v1/reports/periodic?period=2026-Q4&place=35.09", headers=as_("operator"))).json()
    assert report["kind"] == "quarterly"
    tables = report["tables"]
    total = report["cost_total_idr"]
    assert total == 2_600_000
    for name in ("costs_by_category", "costs_by_funding_source", "costs_by_desa"):
        assert sum(row["amount_idr"] for row in tables[name]["rows"]) == total, name
    assert by(tables["costs_by_funding_source"], "funding_source")["csr"]["amount_idr"] == 1_150_000
    assert by(tables["costs_by_category"], "cost_category")["activity.forum_anak_session"]["amount_idr"] == 1_200_000
    assert by(tables["costs_by_desa"], "desa")[KESILIR]["amount_idr"] == 2_200_000
    assert report["children_with_service_costs"] == 2
    assert report["cost_per_child_served_idr"] == round(1_400_000 / 2)
    targets = by(tables["targets"], "target_indicator")
    assert (targets["mapped"]["target"], targets["withdrawn"]["target"]) == (440, 40), "Jember's two pilot desa"
    assert (await api.get("/api/v1/reports/periodic?period=2026-11&place=52.03", headers=as_("operator"))
            ).status_code == 403


async def test_analysts_get_small_cells_hidden_and_bad_periods_are_refused(programme, as_):
    api, _ = programme
    report = (await api.get("/api/v1/reports/periodic?period=2026-11&place=35.09", headers=as_("analyst"))).json()
    assert report["suppressed"] is True
    assert "prevented_children" not in report["tables"], "analysts see aggregates only"
    assert by(report["tables"]["targets"], "target_indicator")["withdrawn"]["in_period"] == "<5"
    for bad in ("2026-13", "2026-Q5", "2027-01", "November"):
        response = await api.get(f"/api/v1/reports/periodic?period={bad}&place=35.09", headers=as_("operator"))
        assert response.status_code == 422, (bad, response.text)


async def test_the_xlsx_holds_every_table(programme, as_):
    api, _ = programme
    response = await api.get("/api/v1/reports/periodic?period=2026-11&place=35.09&format=xlsx",
                             headers=as_("operator"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert {"targets", "activities", "costs_by_category", "costs_by_funding_source", "costs_by_desa",
            "institutions"} <= set(workbook.sheetnames)
    rows = list(workbook["targets"].values)
    assert rows[0][:2] == ("Indikator", "Kode indikator") and rows[1][0] == "Anak terpetakan"


async def test_the_pdf_reads_on_paper_with_its_title_targets_and_charts(programme, as_, tmp_path):
    api, _ = programme
    response = await api.get("/api/v1/reports/periodic?period=2026-11&place=35.09&format=pdf",
                             headers=as_("operator"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
    pdf = tmp_path / "periodik.pdf"
    pdf.write_bytes(response.content)
    await asyncio.to_thread(subprocess.run, ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf),
                                             str(tmp_path / "page")], check=True, timeout=60)
    [page] = list(tmp_path.glob("page*.png"))
    words = (await asyncio.to_thread(subprocess.run, ["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
                                     check=True, capture_output=True, text=True, timeout=60)).stdout
    assert "Laporan Periodik SPRPA" in words and "Bulanan, November 2026" in words
    assert "Target dan capaian" in words
    for label in ("Anak terpetakan", "Anak ditarik dari pekerjaan", "Anak dicegah", "Penyedia layanan ber-MOU"):
        assert label in words, label
    assert "Capaian sampai saat ini (% target)" in words, "the targets chart's title"
    artefacts = Path(os.environ.get("SPRPA_ARTIFACTS", Path(__file__).parents[3] / "test-artifacts")) / "screenshots"
    artefacts.mkdir(parents=True, exist_ok=True)
    shutil.copy(page, artefacts / "periodic-report-page-1.png")  # docs/images/ holds one, for the docs
    data = Image.open(page).convert("RGB").tobytes()
    bar = sum(1 for pixel in zip(data[0::3], data[1::3], data[2::3], strict=True)
              if abs(pixel[0] - 31) < 12 and abs(pixel[1] - 111) < 12 and abs(pixel[2] - 139) < 12)
    assert bar > 200, f"the chart's bars are drawn on the first page ({bar} pixels of their colour)"


async def test_a_merged_childs_costs_count_for_the_survivor(reports, publish, as_):
    """The registry moves a merged duplicate's costs to the survivor; so does the read model, so a pair
    is one child served in the costs' breakdowns."""
    _, api = reports
    survivor, duplicate = child(KESILIR), child(KESILIR)
    for registered in (survivor, duplicate):
        await publish(registered, at=OCTOBER)
    for who in (survivor, duplicate):
        await publish(ev.CostRecorded(cost_id=uuid.uuid4(), village_code=KESILIR, amount_idr=100_000,
                                      funding_source="apbd", spent_on=date(2026, 11, 12), referral_id=uuid.uuid4(),
                                      child_id=who.child_id, service_code="education.equivalency"), at=NOVEMBER)
    await publish(ev.ChildMerged(child_id=survivor.child_id, merged_id=duplicate.child_id, village_code=KESILIR,
                                 merged_village_code=KESILIR), at=NOVEMBER + timedelta(hours=1))
    await publish.applied()
    report = (await api.get("/api/v1/reports/periodic?period=2026-11&place=35.09", headers=as_("operator"))).json()
    assert report["children_with_service_costs"] == 1 and report["cost_total_idr"] == 200_000
    assert by(report["tables"]["costs_by_category"], "cost_category")["education.equivalency"]["children"] == 1


async def test_an_imports_batch_counts_each_of_its_children(reports, publish, as_):
    """Issue 27: an import announces its children per batch (`children.imported`); the reports count
    each child as if it came alone."""
    _, api = reports
    imported = [child(KESILIR, "female"), child(KESILIR, "male"), child(PILOT[1], "male")]
    await publish(ev.ChildrenImported(import_id=uuid.uuid4(), regency_code="35.09", children=imported), at=OCTOBER)
    await publish.applied()
    summary = (await api.get("/api/v1/reports/summary?place=35.09", headers=as_("operator"))).json()
    assert summary["children_mapped"] == 3
    by_sex = {row["sex"]: row["count"] for row in summary["tables"]["by_sex"]["rows"]}
    assert (by_sex["female"], by_sex["male"]) == (1, 2)


async def test_an_imports_batch_that_breaks_the_contract_is_refused_whole_and_the_next_one_counts(
        reports, publish, nats_admin, as_):
    """Issue 27: the reports read an import's children from the event as it came; a batch with one
    child the contract refuses (an unknown sex) lands none of its children, and is set aside."""
    _, api = reports
    good = ev.ChildrenImported(import_id=uuid.uuid4(), regency_code="35.09", children=[child(KESILIR, "male")])
    bad = Envelope.wrap(ev.ChildrenImported(import_id=uuid.uuid4(), regency_code="35.09",
                                            children=[child(KESILIR), child(KESILIR)]), time=OCTOBER)
    document = json.loads(bad.to_bytes())
    document["data"]["children"][1]["sex"] = "unknown"
    await publish(good, at=OCTOBER)  # makes the stream; the bad one goes after it, the next good one last
    await nats_admin.publish(good.subject(), json.dumps(document).encode(), headers={"Nats-Msg-Id": str(bad.id)})
    await publish(ev.ChildrenImported(import_id=uuid.uuid4(), regency_code="35.09",
                                      children=[child(KESILIR, "male")]), at=OCTOBER)
    await publish.applied()

    async def set_aside() -> bool:
        try:
            return (await nats_admin.stream_info(DEAD_LETTER_STREAM)).state.messages >= 1
        except NotFoundError:
            return False

    await wait_until(set_aside, timeout=30, what="the refused batch dead-lettered")
    summary = (await api.get("/api/v1/reports/summary?place=35.09", headers=as_("operator"))).json()
    assert summary["children_mapped"] == 2
    by_sex = {row["sex"]: row["count"] for row in summary["tables"]["by_sex"]["rows"]}
    assert (by_sex.get("female", 0), by_sex["male"]) == (0, 2)
