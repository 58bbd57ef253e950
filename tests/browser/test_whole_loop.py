"""The whole loop in a real browser, as the people in DOMAIN.md do it: the district sets up a provider,
a cadre registers a working child, the operator flags it with consent, the provider accepts, starts
and completes, the follow-up visit three months later confirms, and the dashboard counts the child
as withdrawn. Beside it: who must not see what, errors beside their fields, and the English switch."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Page, expect

from sprpa_shared.auth.principal import Role
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.browser.conftest import PHONE, Stack, cards_on_a_phone, no_raw_codes, screenshot

VILLAGE = "35.09.11.2007"  # Kesilir, Wuluhan, Jember
OTHER_VILLAGE = "35.09.01.2001"  # another kecamatan of Jember
NEED = "education.equivalency"


async def _set_up_provider(stack: Stack, operator: Page, name: str) -> str:
    """The operator adds an organisation, its MOU and an offering in the directory; returns its id."""
    await operator.goto(f"{stack.web}/directory")
    # Issue 25, point 4: the disclosure's marker sits on the heading's line, not alone above it.
    summary = await operator.locator("#new-organisation summary").bounding_box()
    heading = await operator.locator("#new-organisation summary h2").bounding_box()
    assert summary["height"] < 1.5 * heading["height"], (summary, heading)
    await operator.locator("#new-organisation summary").click()
    await operator.fill("#f-name", name)
    await operator.select_option("#f-kind", "school_pkbm")
    await operator.fill("#f-contacts-phone", "0812-0000-0000")
    await operator.get_by_role("button", name="Simpan").click()
    await expect(operator.locator("#saved")).to_be_visible()
    organisation_id = operator.url.rsplit("/", 1)[1].split("?")[0]

    await operator.locator("#new-mou summary").click()
    mou = operator.locator("#new-mou form")
    await mou.locator("#f-number").fill(f"MOU-{name[:8]}")
    await mou.locator("#f-signed_date").fill("2026-01-05")
    await mou.locator("#f-valid_from").fill("2026-01-10")
    await mou.locator("#f-valid_until").fill("2027-12-31")
    await mou.locator(f"input[name='service_categories'][value='{NEED}']").check()
    await mou.get_by_role("button", name="Simpan").click()
    await expect(operator.locator("#mous")).to_contain_text(f"MOU-{name[:8]}")

    await operator.locator("#new-offering summary").click()
    offering = operator.locator("#new-offering form")
    await offering.locator("#f-name").fill("Kejar Paket B")
    await offering.locator("#f-category").select_option(NEED)
    await offering.locator("#f-min_age").fill("10")
    await offering.locator("#f-capacity").fill("10")
    await offering.get_by_role("button", name="Simpan").click()
    await expect(operator.locator("#offerings")).to_contain_text("Kejar Paket B")
    await expect(operator.locator("#mous [data-status='active']")).to_have_count(1)
    await cards_on_a_phone(operator, "#offerings")  # capacity and status first
    return organisation_id


async def _engine_has_offering_of(stack: Stack, organisation_id: str) -> bool:
    async with database(stack.apps["referral"]) as connection:
        return bool(await connection.fetchval(
            "SELECT count(*) FROM replica_offerings WHERE organization_id = $1::uuid", organisation_id))


async def test_a_child_goes_from_registration_to_withdrawn_through_the_pages(stack: Stack):
    await stack.user("operator.jember", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    await stack.user("kader.kesilir", Role.VILLAGE_CADRE, village_code=VILLAGE)
    await stack.user("kader.lain", Role.VILLAGE_CADRE, village_code=OTHER_VILLAGE)
    await stack.user("analis", Role.ANALYST, regency_codes=["35.09"])

    # The district sets up two providers under MOU.
    operator = await stack.signed_in("operator.jember")
    provider_a = await _set_up_provider(stack, operator, "PKBM Tunas Harapan")
    provider_b = await _set_up_provider(stack, operator, "PKBM Lain")
    await screenshot(operator, "organisation")
    await stack.user("staf.tunas", Role.PROVIDER_STAFF, organization_id=provider_a)
    await stack.user("staf.lain", Role.PROVIDER_STAFF, organization_id=provider_b)

    # A cadre on a phone registers a working child; a malformed NIK comes back beside its field, nothing lost.
    cadre = await stack.signed_in("kader.kesilir", viewport=PHONE)
    await cadre.goto(f"{stack.web}/children/new")
    await expect(cadre.locator("#preset-village")).to_contain_text("Kesilir")
    await cadre.fill("#f-head_name", "Bapak Sutrisno")
    await cadre.fill("#f-full_name", "Siti Aminah")
    await cadre.select_option("#f-sex", "female")
    await cadre.fill("#f-birth_date", "2012-05-01")
    await cadre.fill("#f-nik", "12345")
    await cadre.select_option("#f-school_status", "out_of_school")
    await cadre.select_option("#f-living_arrangement", "with_family")
    await cadre.check("input[name='mapping_categories'][value='child_labour']")
    await cadre.check("#f-works")
    await cadre.select_option("#f-work-sector", "tobacco")
    await cadre.fill("#f-work-hours_per_day", "5")
    await cadre.fill("#f-work-hours_per_week", "30")
    await cadre.check("input[name='work.hazards'][value='green_tobacco']")
    await cadre.get_by_role("button", name="Simpan").click()
    await expect(cadre.locator("#in-page-nik")).to_be_visible()  # caught on the phone, before it is sent
    await expect(cadre.locator("#f-full_name")).to_have_value("Siti Aminah")
    await expect(cadre.locator("input[name='work.hazards'][value='green_tobacco']")).to_be_checked()
    await screenshot(cadre, "register-child-error")
    await cadre.fill("#f-nik", "")
    await cadre.get_by_role("button", name="Simpan").click()
    await expect(cadre.locator("#saved")).to_be_visible()
    child_url = cadre.url.split("?")[0]
    await expect(cadre.locator("#classification")).to_contain_text("Bentuk pekerjaan terburuk")
    await expect(cadre.locator("#reasons li")).not_to_have_count(0)
    await screenshot(cadre, "child")

    # The cadre records the assessment; the operator flags it with the guardian's consent.
    await cadre.goto(f"{child_url}/assess")
    await cadre.check("input[name='root_causes'][value='out_of_school']")
    await cadre.get_by_role("button", name="Simpan").click()
    await expect(cadre.locator("#case-status")).to_have_text("Dinilai")
    await expect(cadre.locator("#classification")).to_contain_text("Bentuk pekerjaan terburuk")  # facts kept
    await wait_until(lambda: _engine_has_offering_of(stack, provider_a), timeout=20, what="offering replicated")
    # Issue 24, point 4: the district names who providers call in Kesilir.
    await operator.locator("nav a[href='/contacts']").click()
    await operator.locator("#search-village_code").fill("kesil")
    await expect(operator.locator("#list-village_code option")).to_have_count(1)
    await operator.locator("#search-village_code").fill(
        await operator.locator("#list-village_code option").first.get_attribute("value"))
    await operator.select_option("#f-function", "facilitator")
    await operator.fill("#f-name", "Bu Lilik")
    await operator.fill("#f-phone", "0812-3456-7890")
    await operator.get_by_role("button", name="Simpan").click()
    await expect(operator.locator("#current-contact")).to_contain_text("Fasilitator desa pendamping anak")
    await operator.goto(child_url)
    await operator.locator("#flag-link").click()
    await expect(operator.locator("input[name='root_causes'][value='out_of_school']")).to_be_checked()
    await operator.check(f"input[name='extra_needs'][value='{NEED}']")
    # Issue 20 point 8 / issue 25 point 4: the services the flag will request, seen before flagging;
    # one of them (already received) is not asked for.
    await operator.locator("#preview-needs").click()
    preview = operator.locator("#needs-preview")
    await expect(preview.locator(".need-choice")).to_have_count(3)
    await expect(preview).to_contain_text("Perlengkapan sekolah")
    await expect(operator.locator(f"input[name='extra_needs'][value='{NEED}']")).to_be_checked()
    school_support = preview.locator(".need-choice[data-need='education.school_support']")
    await school_support.locator("input[name='drop']").check()
    await school_support.locator("select").select_option("already_received")
    await operator.select_option("#f-consent-basis", "legal_basis")
    await expect(operator.locator("#f-consent-given_by")).not_to_have_attribute("required", "")
    await operator.select_option("#f-consent-basis", "guardian")
    # Issue 25, point 4: a guardian's consent names its giver and relation; the form says so.
    await expect(operator.locator("#f-consent-given_by")).to_have_attribute("required", "")
    await expect(operator.locator("#f-consent-relation")).to_have_attribute("required", "")
    await operator.fill("#f-consent-given_by", "Ibu Sri")
    await operator.select_option("#f-consent-relation", "mother")
    await operator.fill("#f-consent-given_on", "2026-11-20")
    await operator.fill("#f-consent-guardian_phone", "0813-1111-2222")
    await operator.check("#f-consent-share_contact_with_provider")
    await screenshot(operator, "flag")
    await operator.get_by_role("button", name="Tandai untuk remediasi").click()
    await expect(operator.locator("#saved")).to_be_visible()
    await expect(operator.locator("#history")).to_contain_text("tidak diminta Perlengkapan sekolah")

    # The provider sees the offer in its inbox, accepts, starts and completes.
    staff = await stack.signed_in("staf.tunas", viewport=PHONE)
    await expect(staff).to_have_url(re.compile(r"/inbox$"))

    async def offer_listed() -> bool:
        await staff.goto(f"{stack.web}/inbox")
        return await staff.locator("#inbox tbody tr.offered").count() == 1

    await wait_until(offer_listed, timeout=20, interval=0.3, what="the offer in the provider's inbox")
    await expect(staff.locator("#inbox tbody tr.offered")).to_contain_text("WIB")  # the deadline in Jember's time
    await screenshot(staff, "inbox")
    await cards_on_a_phone(staff, "#inbox")  # the deadline first
    await staff.locator("#inbox tbody tr.offered a").click()
    referral_url = staff.url
    await staff.locator("#accept").click()
    await expect(staff.locator("#referral-status")).to_have_text("Diterima")

    # The registry opens the child's record once it has applied the acceptance (an event); the
    # page reloads itself until then.
    await expect(staff.locator("#child")).to_contain_text("Siti Aminah", timeout=20_000)
    routes = staff.locator("#routes-to-family")  # issue 24, point 4: how to reach the family
    await expect(routes).to_contain_text("Fasilitator desa pendamping anak: Bu Lilik, 0812-3456-7890")
    await expect(routes).to_contain_text("Wali anak (Ibu): Ibu Sri, 0813-1111-2222")
    await staff.locator("#start").click()
    await expect(staff.locator("#referral-status")).to_have_text("Sedang dilayani")
    await staff.select_option("#f-outcome", "service_delivered")
    await screenshot(staff, "referral")
    await staff.locator("#complete").click()
    await expect(staff.locator("#referral-status")).to_have_text("Selesai")
    await no_raw_codes(staff)
    await staff.goto(f"{stack.web}/inbox?status=completed")
    await no_raw_codes(staff)

    # Another organisation's staff cannot open the referral; another desa's cadre cannot open the child.
    other_staff = await stack.signed_in("staf.lain")
    await other_staff.goto(referral_url)
    await expect(other_staff.locator("#problem")).to_contain_text("tidak ditemukan")
    assert "Siti Aminah" not in await other_staff.content()
    other_cadre = await stack.signed_in("kader.lain")
    await other_cadre.goto(child_url)
    await expect(other_cadre.locator("#problem")).to_contain_text("tidak ditemukan")
    assert "Siti Aminah" not in await other_cadre.content()

    # The operator's case view follows the referral; three months on, the follow-up visit confirms.
    async def in_remediation() -> bool:
        await operator.goto(child_url)
        return await operator.locator("#case-status").inner_text() == "Dalam remediasi"

    await wait_until(in_remediation, timeout=20, interval=0.3, what="case in remediation")
    await expect(operator.locator(".referral[data-status='completed']")).to_have_count(1)
    await screenshot(operator, "case")
    # Issue 20, point 4: a need added after the flag is offered like the others (here nobody offers
    # it: a gap), and the district withdraws it again with a reason.
    await operator.locator("#add-need summary").click()
    await operator.locator("#add-need select[name='category']").select_option("skills.apprenticeship")
    await operator.locator("#add-need").get_by_role("button", name="Tambah kebutuhan").click()
    await expect(operator.locator("#saved")).to_contain_text("Kebutuhan ditambahkan")
    added = operator.locator(".need[data-category='skills.apprenticeship']")
    await expect(added).to_contain_text("Tidak ada lembaga")
    await added.locator(".withdraw-need summary").click()
    await added.locator("select[name='reason']").select_option("no_longer_needed")
    await added.get_by_role("button", name="Tarik kebutuhan").click()
    await expect(operator.locator(".need[data-category='skills.apprenticeship']")).to_have_attribute(
        "data-status", "withdrawn")
    stack.clock.advance(timedelta(days=95))
    visit_day = stack.clock.now().date()
    await cadre.goto(f"{child_url}/visit")
    await cadre.fill("#f-visited_on", visit_day.isoformat())
    await cadre.select_option("#f-attendance", "school")
    await cadre.fill("#f-attending_since", (visit_day - timedelta(days=93)).isoformat())
    await screenshot(cadre, "visit")
    await cadre.get_by_role("button", name="Simpan").click()
    await expect(cadre.locator("#case-status")).to_have_text("Ditarik dari pekerjaan")

    # The district makes the child's desa a pilot village on its page (issue 20, point 12), and the
    # dashboard counts the child as withdrawn there.
    await operator.goto(f"{stack.web}/pilot")
    await expect(operator.locator("#pilot-targets")).to_contain_text("Belum ada desa percontohan")
    await operator.fill("#pilot-add input[name='village_code']", VILLAGE)
    await operator.fill("#pilot-add input[name='withdrawn_target']", "20")
    await operator.locator("#pilot-add").get_by_role("button", name="Jadikan desa percontohan").click()
    await expect(operator.locator("#saved")).to_be_visible()
    row = operator.locator(f"#pilot-targets tr[data-village='{VILLAGE}']")
    await expect(row.locator("td.mapping")).to_have_text("220")  # the seed plan's default per desa
    await expect(row.locator("td.withdrawn")).to_have_text("20")
    await screenshot(operator, "pilot")
    await cards_on_a_phone(operator, "#pilot-targets")  # the withdrawn and prevented targets first

    async def counted() -> bool:
        await operator.goto(f"{stack.web}/dashboard")
        cell = operator.locator(f"#pilot tr[data-village='{VILLAGE}'] td.withdrawn")
        return await cell.count() == 1 and (await cell.inner_text()).startswith("1 /")

    await wait_until(counted, timeout=20, interval=0.3, what="the dashboard counting the child as withdrawn")
    await expect(operator.locator("#status-chart")).to_contain_text("Ditarik dari pekerjaan")
    await no_raw_codes(operator)
    await operator.goto(f"{stack.web}/directory")
    await no_raw_codes(operator)
    await operator.goto(f"{stack.web}/dashboard")
    await screenshot(operator, "dashboard")
    await cards_on_a_phone(operator, "#pilot")

    # The analyst sees the same dashboard with its small cells hidden.
    analyst = await stack.signed_in("analis")
    await expect(analyst).to_have_url(re.compile(r"/dashboard"))
    await expect(analyst.locator("#suppressed-note")).to_be_visible()
    await expect(analyst.locator(f"#pilot tr[data-village='{VILLAGE}'] td.withdrawn")).to_contain_text("<5")
    assert "Siti Aminah" not in await analyst.content()

    # The English switch, and back.
    await operator.locator("#switch-language").click()
    await expect(operator.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    await expect(operator.locator("#status-chart")).to_contain_text("Withdrawn")
    await screenshot(operator, "dashboard-en")
    await operator.locator("#switch-language").click()
    await expect(operator.get_by_role("heading", level=1)).to_contain_text("Dasbor")

    # Issue 20, point 1: the family moves away; the district closes the case with its reason.
    await operator.goto(child_url)
    await operator.locator("#close-case summary").click()
    await operator.locator("#close-case select[name='reason']").select_option("moved_away")
    await operator.locator("#close-case").get_by_role("button", name="Tutup kasus").click()
    await expect(operator.locator("#case-status")).to_have_text("Ditutup")
    await expect(operator.locator("#close-case")).to_have_count(0)
    # Issue 25, point 1: the whole case, read in Indonesian, shows no code.
    await no_raw_codes(operator)
