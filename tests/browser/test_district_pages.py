"""The district's other pages in the browser: registering with the cascading place pickers, the
case list's filters, overdue visits highlighted for the cadre, a survey upload with its progress and
row errors, the KLA scorecard entry, report downloads; a keyboard-only sign-in; nothing wider than
a 360 px phone."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import httpx
from openpyxl import load_workbook
from playwright.async_api import Page, expect

from registry.testing import child_payload
from sprpa_shared.auth.principal import Role
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.browser.conftest import PASSWORD, PHONE, Stack, cards_on_a_phone, no_raw_codes, screenshot

VILLAGE = "35.09.11.2007"
SURVEY = (
    "full_name,sex,birth_date,village_code,school_status,working,sector,hours_per_day,hours_per_week,hazards\n"
    "Budi Santoso,male,2013-02-10,35.09.11.2007,out_of_school,yes,tobacco,5,30,green_tobacco\n"
    "Dewi Lestari,female,2011-12-01,35.09.11.2007,in_school,no,,,,\n"
    "Tanpa Desa,female,2012-01-01,35.09.99.9999,in_school,no,,,,\n"
)


async def _fits_a_phone(page: Page) -> None:
    await page.set_viewport_size(PHONE)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


async def test_signing_in_works_with_the_keyboard_alone(stack: Stack):
    await stack.user("operator.keyboard", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    context = await stack.browser.new_context(viewport=PHONE)
    stack.contexts.append(context)
    page = await context.new_page()
    await page.goto(f"{stack.web}/login")
    await page.keyboard.press("Tab")  # the skip link, then the language switch...
    await page.locator("#username").focus()  # ...the field the page focuses itself (autofocus)
    await page.keyboard.type("operator.keyboard")
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{stack.web}/children")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kasus")
    await _fits_a_phone(page)


async def test_the_district_registers_imports_filters_scores_and_downloads(stack: Stack):
    await stack.user("operator.jember", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    await stack.user("kader.kesilir", Role.VILLAGE_CADRE, village_code=VILLAGE)
    operator = await stack.signed_in("operator.jember")

    # Registering: the province -> kabupaten -> kecamatan -> desa pickers fill the desa code.
    await operator.goto(f"{stack.web}/children/new")
    for picker, code in (("#pick-province", "35"), ("#pick-regency", "35.09"), ("#pick-district", "35.09.11"),
                         ("#pick-village", VILLAGE)):
        await expect(operator.locator(f"{picker} option[value='{code}']")).to_have_count(1)
        await operator.select_option(picker, code)
    await expect(operator.locator("#f-village_code")).to_have_value(VILLAGE)
    await operator.fill("#f-full_name", "Rina Wati")
    await operator.select_option("#f-sex", "female")
    await operator.fill("#f-birth_date", "2013-03-03")
    await operator.select_option("#f-school_status", "out_of_school")
    await operator.select_option("#f-living_arrangement", "with_family")
    await screenshot(operator, "register-child")
    await operator.get_by_role("button", name="Simpan").click()
    await expect(operator.locator("#saved")).to_be_visible()
    await expect(operator.locator("#classification")).to_contain_text("Berisiko")

    # A survey file: the progress page follows the import to its end and offers the row errors.
    await operator.goto(f"{stack.web}/imports")
    await operator.set_input_files("#f-file", files=[{"name": "survei.csv", "mimeType": "text/csv",
                                                      "buffer": SURVEY.encode()}])
    await operator.get_by_role("button", name="Unggah").click()
    await expect(operator.locator("#import-status")).to_contain_text("Selesai", timeout=30_000)
    await expect(operator.locator("#created-children")).to_have_text("2")
    await expect(operator.locator("#error-rows")).to_have_text("1")
    async with operator.expect_download() as issues:
        await operator.locator("#issues-link").click()
    issues_file = await (await issues.value).path()
    assert "35.09.99.9999" in issues_file.read_text(encoding="utf-8-sig")
    await screenshot(operator, "import")

    # The case list's filters.
    await operator.goto(f"{stack.web}/children")
    await expect(operator.locator("#children tbody tr")).to_have_count(3)
    await operator.select_option("#f-classification", "worst_form")
    await operator.get_by_role("button", name="Saring").click()
    await expect(operator.locator("#children tbody tr")).to_have_count(1)
    await expect(operator.locator("#children")).to_contain_text("Budi Santoso")
    await screenshot(operator, "cases")

    # A follow-up falls due and passes: the cadre's list shows it highlighted.
    async with database(stack.apps["registry"]) as db:
        await db.execute("UPDATE children SET next_visit_due = $1",
                         (stack.clock.now() + timedelta(days=7)).date())
    stack.clock.advance(timedelta(days=10))
    cadre = await stack.signed_in("kader.kesilir", viewport=PHONE)
    await expect(cadre.locator("#overdue-title")).to_contain_text("(3)")
    await expect(cadre.locator("#children tbody tr.late")).to_have_count(3)
    await cadre.goto(f"{stack.web}/children?overdue=true")
    await expect(cadre.locator("#children tbody tr.late")).to_have_count(3)
    await expect(cadre.locator("#children")).to_contain_text("3 hari terlambat")
    await screenshot(cadre, "children-overdue")
    await _fits_a_phone(cadre)
    await cards_on_a_phone(cadre, "#children")  # the next visit first

    # The KLA scorecard: an indicator the data cannot answer, entered with its evidence.
    await operator.goto(f"{stack.web}/kla")
    before = float(await operator.locator("#kla-total strong").inner_text())
    row = operator.locator("#indicator-1")
    await row.locator("summary").click()
    await row.locator("input[name='achievement_percent']").fill("100")
    await row.locator("textarea[name='evidence']").fill("Perda KLA No. 3 Tahun 2025")
    await row.get_by_role("button", name="Simpan").click()
    await expect(operator.locator("#indicator-1")).to_contain_text("Perda KLA No. 3 Tahun 2025")
    after = float(await operator.locator("#kla-total strong").inner_text())
    assert after == before + 60, "indicator 1 weighs 60 points: 100% of it adds 60"
    await screenshot(operator, "kla")
    await cards_on_a_phone(operator, "#scorecard")  # achievement and points first
    # Issue 20, point 11: the year picker shows another year (it sent `to=`, which the API ignored).
    this_year = int(await operator.locator("input[name='year']").input_value())
    await operator.locator("input[name='year']").fill(str(this_year - 1))
    await operator.get_by_role("button", name="Tampilkan").click()
    await expect(operator.locator("h1")).to_contain_text(str(this_year - 1))
    await expect(operator.locator("#indicator-1")).not_to_contain_text("Perda KLA No. 3 Tahun 2025")
    assert await operator.locator("input[name='year']").input_value() == str(this_year - 1)
    await no_raw_codes(operator)
    for path in ("/reports", "/pilot", "/children", "/imports"):
        await operator.goto(f"{stack.web}{path}")
        await no_raw_codes(operator)

    # Downloads: the summary as XLSX with English headers.
    await operator.goto(f"{stack.web}/reports")
    report = operator.locator("#report-summary form").first
    await report.locator("select[name='lang']").select_option("en")
    async with operator.expect_download() as summary:
        await report.get_by_role("button", name="XLSX").click()
    download = await summary.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO((await download.path()).read_bytes()))
    cells = {str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row}
    assert "Budi Santoso" not in cells and any("count" in cell.lower() for cell in cells)
    await screenshot(operator, "reports")

    for path in ("/children", "/children/new", "/imports", "/directory", "/dashboard", "/kla", "/reports"):
        await operator.goto(f"{stack.web}{path}")
        await _fits_a_phone(operator)


async def test_the_district_sets_its_referral_rules_on_a_page(stack: Stack):
    """Issue 24: the kabupaten's SLA and parallel offers had an API and no page."""
    await stack.user("operator.rules", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    operator = await stack.signed_in("operator.rules")
    await operator.get_by_role("link", name="Aturan rujukan").click()
    await expect(operator.locator("h1")).to_contain_text("Jember")
    await expect(operator.locator("#now-source")).to_contain_text("Bawaan sistem")
    await operator.fill("#f-parallel_offers", "3")
    await operator.fill("#f-sla_hours", "72")
    await operator.check("#f-weekends_count")
    await operator.get_by_role("button", name="Simpan").click()
    await expect(operator.locator("#saved")).to_be_visible()
    await expect(operator.locator("#now-parallel")).to_have_text("3")
    await expect(operator.locator("#now-sla")).to_have_text("72 jam")
    await expect(operator.locator("#now-source")).to_have_text("Ditetapkan kabupaten")
    await _fits_a_phone(operator)
    await no_raw_codes(operator)

    # Someone changed them meanwhile: the page says so and shows the rules as they are now.
    headers = {**await stack.bearer(Role.DISTRICT_OPERATOR, regency_codes=("35.09",)), "If-Match": '"1"'}
    async with httpx.AsyncClient(base_url=stack.urls["referral"]) as api:
        changed = await api.put("/api/v1/settings/35.09", headers=headers,
                                json={"parallel_offers": 2, "sla_hours": 48, "weekends_count": False})
        assert changed.status_code == 200, changed.text
    await operator.fill("#f-sla_hours", "24")
    await operator.get_by_role("button", name="Simpan").click()
    await expect(operator.locator("#problem")).to_be_visible()
    await expect(operator.locator("#now-sla")).to_have_text("48 jam")
    await operator.get_by_role("button", name="Simpan").click()  # decided: 24 hours after all
    await expect(operator.locator("#now-sla")).to_have_text("24 jam")

    # Issue 24, point 3: the backbone organisation is named on the same page.
    async with httpx.AsyncClient(base_url=stack.urls["providers"]) as providers:
        uptd = (await providers.post("/api/v1/organizations", headers=headers, json={
            "name": "UPTD PPA Jember", "kind": "uptd_p2tp2a", "regency_code": "35.09"})).json()
    await operator.goto(f"{stack.web}/rules")
    await expect(operator.locator("#now-backbone")).to_have_text("Tidak ada")
    await operator.locator("#backbone-form select").select_option(label="UPTD PPA Jember")
    await operator.get_by_role("button", name="Tetapkan lembaga penyangga").click()
    await expect(operator.locator("#now-backbone")).to_have_text("UPTD PPA Jember")
    async with httpx.AsyncClient(base_url=stack.urls["providers"]) as providers:
        named = (await providers.get("/api/v1/backbones/35.09", headers=headers)).json()
    assert named["organization_id"] == uptd["id"]


async def test_the_district_sends_an_unmet_need_to_a_service_it_names(stack: Stack):
    """Issue 24: a need nobody could take waits for the district (re-referral); the API could send
    it to a named service and no page could."""
    need = "health.basic_check"
    await stack.user("operator.refer", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    cadre = await stack.bearer(Role.VILLAGE_CADRE, village_code=VILLAGE)
    operator = await stack.bearer(Role.DISTRICT_OPERATOR, regency_codes=("35.09",))
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as registry, \
            httpx.AsyncClient(base_url=stack.urls["providers"]) as providers:
        child = (await registry.post("/api/v1/children", headers=cadre,
                                     json=child_payload(full_name="Ayu Lestari", nik=None))).json()
        await registry.post(f"/api/v1/children/{child['id']}/assessments", headers={**cadre, "If-Match": "*"},
                            json={"work": child_payload()["work"], "school_status": "out_of_school",
                                  "living_arrangement": "with_family", "root_causes": ["out_of_school"]})
        flagged = await registry.post(f"/api/v1/children/{child['id']}/flag", headers=operator, json={
            "root_causes": [], "extra_needs": [need], "consent": {
                "basis": "guardian", "given_by": "Ibu Sri", "relation": "mother", "given_on": "2026-11-20"}})
        assert flagged.status_code == 201, flagged.text

        async def unmet() -> bool:
            async with httpx.AsyncClient(base_url=stack.urls["referral"]) as engine:
                case = await engine.get(f"/api/v1/cases/{child['id']}", headers=operator)
                return case.status_code == 200 and case.json()["needs"][0]["status"] == "unmet"

        await wait_until(unmet, timeout=20, what="the need unmet: no provider for it yet")
        org = (await providers.post("/api/v1/organizations", headers=operator, json={
            "name": "Puskesmas Wuluhan", "kind": "health_facility", "regency_code": "35.09"})).json()
        await providers.post(f"/api/v1/organizations/{org['id']}/mous", headers=operator, json={
            "number": "MOU-PKM-1", "regency_code": "35.09", "signed_date": "2026-01-05",
            "valid_from": "2026-01-10", "valid_until": "2027-12-31", "service_categories": [need]})
        offering = await providers.post("/api/v1/services", headers=operator, json={
            "organization_id": org["id"], "category": need, "name": "Pemeriksaan kesehatan", "regency_code": "35.09",
            "min_age": 5, "max_age": 17, "capacity": 10})
        assert offering.status_code == 201, offering.text

    async def replicated() -> bool:
        async with database(stack.apps["referral"]) as db:
            return await db.fetchval("SELECT count(*) FROM replica_offerings WHERE id = $1::uuid",
                                     offering.json()["id"]) == 1

    await wait_until(replicated, timeout=20, what="the new service in the engine's directory")
    page = await stack.signed_in("operator.refer")
    await page.goto(f"{stack.web}/children/{child['id']}")
    form = page.locator(f".need[data-category='{need}'] .refer-need")
    await form.locator("select[name='offering_id']").select_option(offering.json()["id"])
    await form.get_by_role("button", name="Kirim ke layanan tertentu").click()
    await expect(page.locator("#saved")).to_contain_text("dikirim")
    sent = page.locator(f".need[data-category='{need}'] li.referral[data-status='offered']")
    await expect(sent).to_contain_text("Puskesmas Wuluhan")
    await no_raw_codes(page)


async def test_the_district_merges_a_duplicate_record_from_the_childs_page(stack: Stack):
    """Issue 24: merging duplicates had an API and no page; the reasons showed as codes."""
    await stack.user("operator.merge", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    cadre = await stack.bearer(Role.VILLAGE_CADRE, village_code=VILLAGE)
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as registry:
        kept, twin = [(await registry.post("/api/v1/children", headers=cadre, json=child_payload(
            full_name=name, nik=None, birth_date=born))).json() for name, born in
            (("Siti Aminah", "2012-08-05"), ("Siti Aminah", "2012-08-08"))]
    page = await stack.signed_in("operator.merge")
    await page.goto(f"{stack.web}/children/{kept['id']}")
    await page.locator("#find-duplicates").click()
    twin_row = page.locator(f"#duplicates li[data-child='{twin['id']}']")
    await expect(twin_row).to_contain_text("Tanggal lahir berselisih 3 hari")
    await no_raw_codes(page)
    await twin_row.locator("summary").click()
    await twin_row.get_by_role("button", name="Gabungkan ke catatan ini").click()
    await expect(page.locator("#saved")).to_contain_text("digabungkan")
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as registry:
        gone = await registry.get(f"/api/v1/children/{twin['id']}",
                                  headers=await stack.bearer(Role.DISTRICT_OPERATOR, regency_codes=("35.09",)))
        assert gone.status_code == 404 and gone.json()["merged_into"] == kept["id"]


async def test_the_district_ends_an_mou_early_on_the_organisations_page(stack: Stack):
    """Issue 24: MOU termination had an API and no page."""
    await stack.user("operator.mou", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    operator = await stack.bearer(Role.DISTRICT_OPERATOR, regency_codes=("35.09",))
    async with httpx.AsyncClient(base_url=stack.urls["providers"]) as providers:
        org = (await providers.post("/api/v1/organizations", headers=operator, json={
            "name": "LPA Jember", "kind": "ngo", "regency_code": "35.09"})).json()
        mou = (await providers.post(f"/api/v1/organizations/{org['id']}/mous", headers=operator, json={
            "number": "MOU-LPA-7", "regency_code": "35.09", "signed_date": "2026-01-05",
            "valid_from": "2026-01-10", "valid_until": "2027-12-31",
            "service_categories": ["psychosocial.counselling"]})).json()
    page = await stack.signed_in("operator.mou")
    await page.goto(f"{stack.web}/directory/{org['id']}")
    # Issue 24, point 3: the MOU renewed for another year, from the day after it ends.
    renewing = page.locator(f".renew-mou[data-mou='{mou['id']}']")
    await renewing.locator("summary").click()
    await renewing.locator("input[name='number']").fill("MOU-LPA-8")
    await renewing.locator("input[name='valid_until']").fill("2028-12-31")
    await renewing.get_by_role("button", name="Perpanjang MOU").click()
    await expect(page.locator("#mous")).to_contain_text("MOU-LPA-8")
    await expect(page.locator("#mous")).to_contain_text("Perpanjangan MOU sebelumnya")
    await expect(page.locator(f".renew-mou[data-mou='{mou['id']}']")).to_have_count(0)  # renewed once
    ending = page.locator(f".terminate-mou[data-mou='{mou['id']}']")
    await ending.locator("summary").click()
    await ending.locator("input[name='terminated_on']").fill(stack.clock.now().date().isoformat())
    await ending.locator("input[name='reason']").fill("Lembaga berhenti beroperasi di Jember")
    await ending.get_by_role("button", name="Akhiri MOU lebih awal").click()
    await expect(page.locator("#mous [data-status='terminated']")).to_have_count(1)
    await no_raw_codes(page)

    # Issue 24, point 5: a service area is a list of places, each added by its name.
    await page.locator("#new-offering summary").click()
    for typed in ("wuluh", "kesil"):
        await page.locator("#search-service_area").fill(typed)
        found = page.locator("#list-service_area option").first
        await expect(found).to_have_count(1)
        await page.locator("#search-service_area").fill(await found.get_attribute("value"))
    await expect(page.locator("#f-service_area")).to_have_value("35.09.11, 35.09.11.2007")


async def test_the_district_sees_who_read_a_record_hands_over_the_data_and_erases_it(stack: Stack):
    """Issue 24: the data subject's export and erasure, and who read the record, had no page; each
    is asked by one operator and confirmed by a second."""
    await stack.user("operator.rights", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    await stack.user("operator.kedua", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    cadre = await stack.bearer(Role.VILLAGE_CADRE, village_code=VILLAGE)
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as registry:
        child = (await registry.post("/api/v1/children", headers=cadre,
                                     json=child_payload(full_name="Nur Hidayah", nik=None))).json()
        await registry.get(f"/api/v1/children/{child['id']}", headers=cadre)
    page = await stack.signed_in("operator.rights")
    second = await stack.signed_in("operator.kedua")
    await page.goto(f"{stack.web}/children/{child['id']}")
    await page.locator("#rights-link").click()
    await expect(page.locator("#accesses")).to_contain_text("membaca catatan anak")
    await expect(page.locator("#accesses")).to_contain_text("Kader desa")
    await no_raw_codes(page)
    await page.locator("#export-ask").click()
    await expect(page.locator("#export-waiting")).to_be_visible()
    await expect(page.locator("#export")).to_have_count(0)  # nobody hands over a record alone

    rights = f"{stack.web}/children/{child['id']}/rights"
    await second.goto(rights)
    await second.locator("#export-confirm").click()
    await expect(second.locator("#saved")).to_contain_text("24 jam")
    await page.goto(rights)
    async with page.expect_download() as exported:
        await page.locator("#export").click()
    data = json.loads((await (await exported.value).path()).read_text())
    assert data["registry"]["child"]["full_name"] == "Nur Hidayah" and data["referral"] is None

    await page.select_option("#f-basis", "data_subject_request")
    await page.fill("#erase-form #f-reference", "Surat wali 12/2026")
    await page.check("#f-confirm")
    await page.get_by_role("button", name="Minta penghapusan data pribadi").click()
    await expect(page.locator("#erasure-waiting")).to_be_visible()
    await second.goto(rights)
    await expect(second.locator("#erasure-asked")).to_contain_text("Surat wali 12/2026")
    await second.locator("#erasure-confirm").click()
    await expect(second.locator("#saved")).to_contain_text("telah dihapus")
    await expect(second.locator("#children")).not_to_contain_text("Nur Hidayah")


async def test_a_name_typed_wrong_is_corrected_on_a_page_without_overwriting_a_change_made_meanwhile(stack: Stack):
    """Issue 24: editing a child's record had an API and no page."""
    await stack.user("kader.edit", Role.VILLAGE_CADRE, village_code=VILLAGE)
    cadre = await stack.bearer(Role.VILLAGE_CADRE, village_code=VILLAGE)
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as registry:
        child = (await registry.post("/api/v1/children", headers=cadre,
                                     json=child_payload(full_name="Siti Aminnah", nik=None))).json()
    page = await stack.signed_in("kader.edit", viewport=PHONE)
    await page.goto(f"{stack.web}/children/{child['id']}")
    await page.locator("#edit-link").click()
    await page.fill("#f-full_name", "Siti Aminah")
    await page.get_by_role("button", name="Simpan").click()
    await expect(page.locator("h1")).to_have_text("Siti Aminah")

    await page.locator("#edit-link").click()
    await page.fill("#f-birth_date", "2012-08-06")
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as registry:  # someone else, meanwhile
        changed = await registry.patch(f"/api/v1/children/{child['id']}", json={"full_name": "Siti Aminah Putri"},
                                       headers={**cadre, "If-Match": '"2"'})
        assert changed.status_code == 200, changed.text
    await page.get_by_role("button", name="Simpan").click()
    await expect(page.locator("#problem")).to_be_visible()
    await expect(page.locator("h1")).to_contain_text("Siti Aminah Putri")  # the record as it is now
    assert await page.input_value("#f-birth_date") == "2012-08-06", "what she typed is kept"
    assert await page.input_value("#f-full_name") == "Siti Aminah Putri", "what she did not touch is not undone"
    await expect(page.locator("#conflicts")).to_have_count(0)  # nothing clashed: nothing to choose
    await page.get_by_role("button", name="Simpan").click()
    await expect(page.locator("h1")).to_have_text("Siti Aminah Putri")  # the other change stands beside hers


async def test_a_cadre_sees_her_desas_dashboard(stack: Stack):
    """Issue 24: the cadre's own desa dashboard answered 403 although the reports allow it."""
    await stack.user("kader.dasbor", Role.VILLAGE_CADRE, village_code=VILLAGE)
    cadre = await stack.signed_in("kader.dasbor", viewport=PHONE)
    await cadre.get_by_role("link", name="Dasbor desa").click()
    await expect(cadre.locator("h1")).to_contain_text("Kesilir")
    await expect(cadre.locator("#problem")).to_have_count(0)
    await _fits_a_phone(cadre)
    await no_raw_codes(cadre)


async def test_provider_staff_keep_their_services_capacity_current(stack: Stack):
    """Issue 24: provider staff could change their capacity through the API only."""
    operator = await stack.bearer(Role.DISTRICT_OPERATOR, regency_codes=("35.09",))
    async with httpx.AsyncClient(base_url=stack.urls["providers"]) as providers:
        org = (await providers.post("/api/v1/organizations", headers=operator, json={
            "name": "PKBM Tunas", "kind": "school_pkbm", "regency_code": "35.09"})).json()
        await providers.post(f"/api/v1/organizations/{org['id']}/mous", headers=operator, json={
            "number": "MOU-T-1", "regency_code": "35.09", "signed_date": "2026-01-05", "valid_from": "2026-01-10",
            "valid_until": "2027-12-31", "service_categories": ["education.equivalency"]})
        offering = (await providers.post("/api/v1/services", headers=operator, json={
            "organization_id": org["id"], "category": "education.equivalency", "name": "Kejar Paket B",
            "regency_code": "35.09", "min_age": 10, "max_age": 17, "capacity": 10})).json()
    await stack.user("staf.tunas", Role.PROVIDER_STAFF, organization_id=org["id"])
    staff = await stack.signed_in("staf.tunas", viewport=PHONE)
    await staff.get_by_role("link", name="Layanan kami").click()
    row = staff.locator(f"#own-services tr[data-offering='{offering['id']}']")
    await row.locator("input[name='capacity']").fill("12")
    await row.get_by_role("button", name="Simpan").click()
    await expect(staff.locator("#saved")).to_be_visible()
    await expect(staff.locator(f"#capacity-{offering['id']}")).to_have_value("12")
    await cards_on_a_phone(staff, "#own-services")
    await no_raw_codes(staff)
    async with httpx.AsyncClient(base_url=stack.urls["providers"]) as providers:
        assert (await providers.get(f"/api/v1/services/{offering['id']}", headers=operator)).json()["capacity"] == 12


async def test_a_place_is_picked_by_typing_its_name(stack: Stack):
    """Issue 24, point 5: people know names, not Kemendagri codes."""
    await stack.user("operator.nama", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    operator = await stack.signed_in("operator.nama", viewport=PHONE)
    await operator.goto(f"{stack.web}/children/new")
    search = operator.locator("#search-village_code")
    await search.fill("kesil")
    option = operator.locator("#list-village_code option").first
    await expect(option).to_have_count(1)
    label = await option.get_attribute("value")
    assert label.startswith("Kesilir"), label
    await search.fill(label)  # chosen from the list
    await expect(operator.locator("#f-village_code")).to_have_value(VILLAGE)
    await expect(operator.locator("#chosen-village_code")).to_have_text(VILLAGE)

    await operator.goto(f"{stack.web}/children")
    await operator.locator("#search-district_code").fill("wuluh")
    district = operator.locator("#list-district_code option").first
    await expect(district).to_have_count(1)
    await operator.locator("#search-district_code").fill(await district.get_attribute("value"))
    await expect(operator.locator("#f-district_code")).to_have_value("35.09.11")

    # The dashboard's place (any level), the KLA's kabupaten and the pilot's desa are picked by name too.
    for path, field, typed, code in (("/dashboard", "place", "wuluh", "35.09.11"), ("/kla", "place", "jemb", "35.09"),
                                     ("/pilot", "village_code", "kesil", VILLAGE)):
        await operator.goto(f"{stack.web}{path}")
        await operator.locator(f"#search-{field}").fill(typed)
        found = operator.locator(f"#list-{field} option").first
        await expect(found).to_have_count(1)
        await operator.locator(f"#search-{field}").fill(await found.get_attribute("value"))
        await expect(operator.locator(f"#f-{field}")).to_have_value(code)


async def test_a_case_proposed_in_one_kabupaten_is_accepted_in_another(stack: Stack):
    """Issue 24, point 2: the family went from Jember to Lombok Timur; Jember proposes the move on
    the child's page (the kabupaten picked by name), Lombok Timur accepts it into one of its desa."""
    await stack.user("operator.jember", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    await stack.user("operator.lotim", Role.DISTRICT_OPERATOR, regency_codes=["52.03"])
    cadre = await stack.bearer(Role.VILLAGE_CADRE, village_code=VILLAGE)
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as registry:
        child = (await registry.post("/api/v1/children", headers=cadre, json=child_payload(nik=None))).json()

    jember = await stack.signed_in("operator.jember")
    await jember.goto(f"{stack.web}/children/{child['id']}")
    await jember.locator("#transfer-case summary").click()
    search = jember.locator("#search-to_regency_code")
    await search.fill("lombok tim")
    option = jember.locator("#list-to_regency_code option").first
    await expect(option).to_have_count(1)
    await search.fill(await option.get_attribute("value"))
    await expect(jember.locator("#f-to_regency_code")).to_have_value("52.03")
    await jember.locator("#transfer-case").get_by_role("button", name="Usulkan pindah ke kabupaten lain").click()
    await expect(jember.locator("#saved")).to_contain_text("Usulan pindah terkirim")
    await expect(jember.locator("#outgoing")).to_contain_text("Lombok Timur")
    await expect(jember.locator("#outgoing")).to_contain_text("Menunggu jawaban")
    await no_raw_codes(jember)

    lotim = await stack.signed_in("operator.lotim", viewport=PHONE)
    await lotim.locator("nav a[href='/transfers']").click()
    proposal = lotim.locator("#incoming article").first
    await expect(proposal).to_contain_text("Keluarga pindah")
    await expect(proposal).to_contain_text("Kesilir")
    await expect(proposal).not_to_contain_text("Siti")  # no name before the case is accepted
    await no_raw_codes(lotim)
    await screenshot(lotim, "transfers")
    await proposal.locator("#search-village_code-1").fill("pandan wa")
    desa = lotim.locator("#list-village_code-1 option").first
    await expect(desa).to_have_count(1)
    await proposal.locator("#search-village_code-1").fill(await desa.get_attribute("value"))
    await expect(proposal.locator("#f-village_code-1")).to_have_value("52.03.20.2006")
    await proposal.get_by_role("button", name="Terima kasus ini").click()
    await expect(lotim.locator("#saved")).to_contain_text("Kasus diterima")
    await expect(lotim.locator("h1")).to_contain_text("Siti Aminah")

    await jember.goto(f"{stack.web}/transfers")
    await expect(jember.locator("#outgoing")).to_contain_text("Diterima")
    gone = await jember.goto(f"{stack.web}/children/{child['id']}")
    assert gone.status == 404
