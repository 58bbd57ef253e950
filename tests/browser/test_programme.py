"""The programme's pages in the browser (issue 26, point 8): a cadre records a Forum Anak session
with 12 anonymous participants and 3 registered children on a 360 px phone; an operator records an
institution, a roadmap milestone and a cost, gives a case to a facilitator she made, and downloads
the periodic report as a PDF."""

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import expect

from registry.testing import child_payload
from sprpa_shared.auth.principal import Role
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.browser.conftest import PHONE, Stack, no_raw_codes, screenshot

VILLAGE = "35.09.11.2007"  # Kesilir, Wuluhan, Jember


async def _register(stack: Stack, *names: str) -> list[str]:
    headers = await stack.bearer(Role.VILLAGE_CADRE, village_code=VILLAGE)
    ids = []
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as api:
        for name in names:
            made = await api.post("/api/v1/children", json=child_payload(full_name=name, nik=None), headers=headers)
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
    return ids


async def test_a_cadre_records_a_forum_anak_session_on_a_phone(stack: Stack):
    await stack.user("kader.kesilir", Role.VILLAGE_CADRE, village_code=VILLAGE)
    ids = await _register(stack, "Rina Wulandari", "Dewi Lestari", "Ayu Safitri", "Budi Santoso")
    cadre = await stack.signed_in("kader.kesilir", viewport=PHONE)

    await cadre.locator("nav a[href='/activities']").click()
    await expect(cadre.locator("h1")).to_contain_text("Kegiatan")
    form = cadre.locator("#activity-form")
    await form.locator("#f-kind").select_option("forum_anak_session")
    await form.get_by_label("Tema kegiatan").fill("Hak anak dan bahaya kerja di ladang")
    await form.get_by_label("Kegiatan rutin").check()
    await form.get_by_role("button", name="Simpan").click()
    await cadre.wait_for_url(lambda url: "/activities/" in url)
    await expect(cadre.locator("h1")).to_have_text("Hak anak dan bahaya kerja di ladang")

    session = cadre.locator("#session-form")
    await session.locator("#f-anonymous-female-13_14").fill("7")
    await session.locator("#f-anonymous-male-15_17").fill("5")
    for name in ("Rina Wulandari", "Dewi Lestari", "Ayu Safitri"):
        await session.get_by_label(name).check()
    width = await cadre.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the session form is {width} px wide on a {PHONE['width']} px phone"
    await session.get_by_role("button", name="Simpan").click()
    await expect(cadre.locator("#saved")).to_have_text("Kehadiran pertemuan tersimpan.")
    row = cadre.locator("#sessions tbody tr").first
    await expect(row).to_contain_text("12")
    await expect(row).to_contain_text("3: ")
    await no_raw_codes(cadre)
    await screenshot(cadre, "forum-anak-session")

    async with database(stack.apps["registry"]) as db:
        assert await db.fetchval("SELECT anonymous_total FROM activity_sessions") == 12
        taking_part = {str(row["child_id"]) for row in await db.fetch("SELECT child_id FROM session_children")}
    assert taking_part == set(ids[:3]), "the three ticked, not the fourth"


async def test_an_operator_runs_the_programme_pages(stack: Stack):
    await stack.user("operator.jember", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    [child_id] = await _register(stack, "Siti Aminah")
    operator = await stack.signed_in("operator.jember")

    # A facilitator account, made on the accounts page: the registry hears of it and offers it.
    await operator.goto(f"{stack.web}/accounts")
    made = operator.locator("#new-account")
    await made.get_by_label("Nama pengguna").fill("fasilitator.kesilir")
    await made.locator("#f-role").select_option("village_facilitator")
    await made.locator("#f-village_code").fill(VILLAGE)
    await made.get_by_role("button", name="Buat akun").click()
    await expect(operator.locator("#one-time")).to_contain_text("fasilitator.kesilir")

    async def heard() -> bool:
        async with database(stack.apps["registry"]) as db:
            return await db.fetchval("SELECT count(*) FROM facilitators WHERE active") == 1

    await wait_until(heard, timeout=30, what="the registry heard of the facilitator's account")
    await operator.goto(f"{stack.web}/children/{child_id}")
    assign = operator.locator("#assign-facilitator")
    await assign.locator("#f-facilitator_id").select_option(label="fasilitator.kesilir")
    await assign.get_by_role("button", name="Simpan").click()
    await expect(operator.locator("#facilitator-now")).to_have_text("fasilitator.kesilir")

    await operator.locator("nav a[href='/programme']").click()
    await operator.locator("#programme-links a[href='/institutions']").click()
    await operator.locator("#f-village_filter").fill(VILLAGE)
    await operator.get_by_role("button", name="Saring").click()
    form = operator.locator("#institution-form")
    await form.locator("#f-type").select_option("fad")
    await form.get_by_label("Nama lembaga").fill("Forum Anak Desa Kesilir")
    await form.locator("#f-status").select_option("formed")
    await form.locator("#f-members-female").fill("9")
    await form.locator("#f-members-male").fill("6")
    await form.locator("#f-age_band").select_option("13_14")
    await form.get_by_role("button", name="Simpan").click()
    await expect(operator.locator("#saved")).to_have_text("Lembaga tersimpan.")
    await expect(operator.locator("#readiness")).to_contain_text("Terbentuk: 1")
    await no_raw_codes(operator)

    await operator.goto(f"{stack.web}/roadmap")
    milestone = operator.locator("#milestone-form")
    await milestone.locator("#f-village_code").fill(VILLAGE)
    await milestone.locator("#f-milestone").select_option("roadmap_workshop")
    await milestone.locator("#f-reached_on").fill("2026-02-10")
    await milestone.get_by_role("button", name="Simpan").click()
    await expect(operator.locator(f"[id='roadmap-{VILLAGE}']")).to_contain_text("Sedang berjalan")
    await no_raw_codes(operator)

    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as api:
        activity = await api.post("/api/v1/activities", headers=await stack.bearer(
            Role.VILLAGE_CADRE, village_code=VILLAGE), json={
            "village_code": VILLAGE, "kind": "socialisation", "topic": "Sosialisasi di SDN 3 Kesilir"})
        assert activity.status_code == 201, activity.text
    await operator.goto(f"{stack.web}/costs")
    cost = operator.locator("#cost-form")
    await cost.get_by_label("Jumlah (Rp)").fill("1200000")
    await cost.locator("#f-funding_source").select_option("dana_desa")
    await cost.locator("#f-activity_id").select_option(label="Sosialisasi di SDN 3 Kesilir")
    await cost.get_by_role("button", name="Simpan").click()
    await expect(operator.locator("#saved")).to_have_text("Biaya tersimpan.")
    await expect(operator.locator("#costs tbody tr").first).to_contain_text("1.200.000")
    await no_raw_codes(operator)

    await operator.goto(f"{stack.web}/caseloads")
    await expect(operator.locator("#caseloads")).to_contain_text("fasilitator.kesilir")
    await operator.goto(f"{stack.web}/reports")
    async with operator.expect_download() as download:
        await operator.locator("#periodic-pdf button").click()
    pdf = await (await download.value).path()
    assert (await asyncio.to_thread(pdf.read_bytes)).startswith(b"%PDF")
