"""A district makes its own people: an operator makes a cadre's account on the page, and the cadre
sets their own password through the one-time link on a 360 px phone and signs in."""

from __future__ import annotations

from playwright.async_api import expect

from sprpa_shared.auth.principal import Role
from tests.browser.conftest import PHONE, Stack, screenshot

VILLAGE = "35.09.11.2007"
PHRASE = "daun tembakau kering di beranda"


async def test_an_operator_makes_a_cadre_who_signs_in_with_the_one_time_link_on_a_phone(stack: Stack):
    await stack.user("operator-jember", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    operator = await stack.signed_in("operator-jember")
    await operator.locator("nav a[href='/accounts']").click()
    await expect(operator.locator("h1")).to_have_text("Pengguna dan akses")
    form = operator.locator("#new-account")
    await form.get_by_label("Nama pengguna").fill("kader-kesilir")
    await form.locator("#f-role").select_option("village_cadre")
    await form.locator("#f-village_code").fill(VILLAGE)
    await form.get_by_role("button", name="Buat akun").click()
    await expect(operator.locator("#one-time")).to_contain_text("kader-kesilir")
    link = await operator.locator("#one-time-link").get_attribute("href")
    await expect(operator.locator("#accounts tr[data-username='kader-kesilir']")).to_contain_text("Aktif")
    await screenshot(operator, "accounts")

    context = await stack.browser.new_context(viewport=PHONE, locale="id-ID")
    stack.contexts.append(context)
    phone = await context.new_page()
    await phone.goto(link)
    await expect(phone.locator("h1")).to_have_text("Pasang kata sandi")
    await phone.get_by_label("Kata sandi baru").fill("password123")
    await phone.get_by_label("Ulangi kata sandi").fill("password123")
    await phone.get_by_role("button", name="Pasang kata sandi").click()
    await expect(phone.locator("#problem")).to_be_visible()  # known from breaches
    await phone.get_by_label("Kata sandi baru").fill(PHRASE)
    await phone.get_by_label("Ulangi kata sandi").fill(PHRASE)
    await phone.get_by_role("button", name="Pasang kata sandi").click()
    await phone.wait_for_url(lambda url: "/login" in url)
    await phone.get_by_label("Nama pengguna").fill("kader-kesilir")
    await phone.get_by_label("Kata sandi").fill(PHRASE)
    await phone.get_by_role("button", name="Masuk").click()
    await phone.wait_for_url(lambda url: "/login" not in url)
    await expect(phone.locator(".me")).to_contain_text("kader-kesilir")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "nothing wider than the phone"

    await phone.goto(link)  # the link works once
    await phone.get_by_label("Kata sandi baru").fill("frasa sandi lain yang panjang")
    await phone.get_by_label("Ulangi kata sandi").fill("frasa sandi lain yang panjang")
    await phone.get_by_role("button", name="Pasang kata sandi").click()
    await expect(phone.locator("#problem")).to_be_visible()


async def test_an_operator_makes_a_facilitator_and_provider_staff_picking_the_organisation_by_name(stack: Stack):
    """Issue 24, points 1 and 5: a village facilitator is offered beside the cadre; provider staff are
    made for an organisation chosen by its name, not typed by id; the list shows places by name."""
    import httpx
    await stack.user("operator-akun", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    operator_token = await stack.bearer(Role.DISTRICT_OPERATOR, regency_codes=("35.09",))
    async with httpx.AsyncClient(base_url=stack.urls["providers"]) as providers:
        org = (await providers.post("/api/v1/organizations", headers=operator_token, json={
            "name": "PKBM Tunas Harapan", "kind": "school_pkbm", "regency_code": "35.09"})).json()
        await providers.post(f"/api/v1/organizations/{org['id']}/mous", headers=operator_token, json={
            "number": "MOU-PKBM-1", "regency_code": "35.09", "signed_date": "2026-01-05",
            "valid_from": "2026-01-10", "valid_until": "2027-12-31", "service_categories": ["education.equivalency"]})
    operator = await stack.signed_in("operator-akun")
    await operator.goto(f"{stack.web}/accounts")
    form = operator.locator("#new-account")
    await form.get_by_label("Nama pengguna").fill("fasilitator-kesilir")
    await form.locator("#f-role").select_option("village_facilitator")
    await form.locator("#f-village_code").fill(VILLAGE)
    await form.get_by_role("button", name="Buat akun").click()
    row = operator.locator("#accounts tr[data-username='fasilitator-kesilir']")
    await expect(row).to_contain_text("Fasilitator desa pendamping anak")
    await expect(row).to_contain_text("Kesilir")

    await operator.goto(f"{stack.web}/accounts")
    form = operator.locator("#new-account")
    await form.get_by_label("Nama pengguna").fill("staf-pkbm")
    await form.locator("#f-role").select_option("provider_staff")
    await form.locator("#f-organization_id").select_option(label="PKBM Tunas Harapan")
    await form.get_by_role("button", name="Buat akun").click()
    await expect(operator.locator("#one-time")).to_contain_text("staf-pkbm")
