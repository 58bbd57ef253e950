"""The bell: a provider's staff on a 360 px phone sees the unread count of a new offer and reaches
the offer from its notification in one tap."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from registry.testing import child_payload
from sprpa_shared.auth.principal import Role
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.browser.conftest import PHONE, Stack, no_raw_codes, screenshot
from tests.browser.test_whole_loop import _engine_has_offering_of
from tests.end_to_end.conftest import ASSESSMENT, GUARDIAN

VILLAGE = "35.09.11.2007"


async def test_the_bell_counts_a_new_offer_and_one_tap_opens_it(stack: Stack):
    operator = await stack.bearer(Role.DISTRICT_OPERATOR, regency_codes=("35.09",))
    cadre = await stack.bearer(Role.VILLAGE_CADRE, village_code=VILLAGE)
    need = "education.equivalency"
    async with httpx.AsyncClient(base_url=stack.urls["providers"]) as providers:
        org = (await providers.post("/api/v1/organizations", headers=operator, json={
            "name": "PKBM Tunas", "kind": "school_pkbm", "regency_code": "35.09"})).json()
        await providers.post(f"/api/v1/organizations/{org['id']}/mous", headers=operator, json={
            "number": "MOU-B-1", "regency_code": "35.09", "signed_date": "2026-01-05", "valid_from": "2026-01-10",
            "valid_until": "2027-12-31", "service_categories": [need]})
        await providers.post("/api/v1/services", headers=operator, json={
            "organization_id": org["id"], "category": need, "name": "Kejar Paket B", "regency_code": "35.09",
            "min_age": 10, "max_age": 17, "capacity": 10})
    await wait_until(lambda: _engine_has_offering_of(stack, org["id"]), timeout=20, what="the engine's replica")
    await stack.user("staf.tunas", Role.PROVIDER_STAFF, organization_id=org["id"])
    staff = await stack.signed_in("staf.tunas", viewport=PHONE)
    await expect(staff.locator("#bell")).to_be_visible()
    await expect(staff.locator("#bell .count")).to_have_count(0)

    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as registry:
        child = (await registry.post("/api/v1/children", headers=cadre, json=child_payload())).json()
        await registry.post(f"/api/v1/children/{child['id']}/assessments", json=ASSESSMENT,
                            headers={**cadre, "If-Match": "*"})
        flag = await registry.post(f"/api/v1/children/{child['id']}/flag", headers=operator, json={
            "root_causes": ["out_of_school"], "extra_needs": [need], "consent": GUARDIAN})
        assert flag.status_code == 201, flag.text

    async def noticed() -> bool:
        async with database(stack.apps["notify"]) as db:
            return await db.fetchval("SELECT count(*) FROM notifications WHERE kind = 'offer.new'") == 1

    await wait_until(noticed, timeout=20, what="the offer's notification")
    await staff.reload()
    await expect(staff.locator("#bell .count")).to_have_text("1")
    box = await staff.locator("#bell").bounding_box()
    assert box and box["x"] + box["width"] <= PHONE["width"] and box["width"] >= 44, "the bell is whole and tappable"
    await screenshot(staff, "bell")

    await staff.locator("#bell").click()
    note = staff.locator("#notifications li.unread a")
    await expect(note).to_contain_text("Rujukan baru")
    await expect(note).to_contain_text("Kesilir")
    await no_raw_codes(staff)
    await note.click()  # the one tap
    await staff.wait_for_url(lambda url: "/inbox/" in url)
    await expect(staff.locator("main")).to_contain_text("Kejar Paket")
    await expect(staff.locator("#bell .count")).to_have_count(0)


async def test_the_district_sees_the_deliveries_to_its_people(stack: Stack):
    await stack.user("operator.jember", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    operator = await stack.signed_in("operator.jember", viewport=PHONE)
    await operator.locator("#bell").click()
    await operator.locator("#deliveries-link").click()
    await expect(operator.locator("h1")).to_have_text("Pengiriman pemberitahuan")
    await expect(operator.locator("#deliveries")).to_contain_text("Tidak ada pengiriman.")
    await no_raw_codes(operator)


async def test_a_person_sets_whatsapp_and_a_daily_digest_on_the_settings_page(stack: Stack):
    await stack.user("kader.kesilir", Role.VILLAGE_CADRE, village_code=VILLAGE)
    cadre = await stack.signed_in("kader.kesilir", viewport=PHONE)
    await cadre.goto(f"{stack.urls['web']}/notifications/settings")
    await cadre.locator("#n-whatsapp").check()
    await cadre.locator("#notification-settings button[type=submit]").click()
    await expect(cadre.locator("#problem")).to_be_visible()  # WhatsApp needs a number
    await cadre.locator("#n-phone").fill("0812 3456 7890")
    await cadre.locator("#notification-settings button[type=submit]").click()
    await expect(cadre.locator("#problem")).to_be_visible()  # not in international form
    await cadre.locator("#n-phone").fill("+62 812-3456-7890")
    await cadre.locator("#n-whatsapp").check()
    await cadre.locator("#n-daily").check()
    await cadre.locator("#n-digest-at").fill("06:30")
    await cadre.locator("#notification-settings button[type=submit]").click()
    await expect(cadre.locator("#saved")).to_be_visible()
    await expect(cadre.locator("#n-phone")).to_have_value("+6281234567890")
    await expect(cadre.locator("#n-whatsapp")).to_be_checked()
    await expect(cadre.locator("#n-daily")).to_be_checked()
    await expect(cadre.locator("#n-digest-at")).to_have_value("06:30")
    await no_raw_codes(cadre)
    async with database(stack.apps["notify"]) as db:
        row = await db.fetchrow("SELECT phone, whatsapp_enabled, digest, digest_at::text FROM subscribers "
                                "WHERE role = 'village_cadre'")
    assert (row["whatsapp_enabled"], row["digest"], row["digest_at"]) == (True, "daily", "06:30:00")
    assert "6281234567890" not in row["phone"], "encrypted at rest"
