"""The field app (issue 23, point 1): a cadre's pages are an installable app whose pages she has
opened stay readable with no signal, every page says whether it is online, and signing out leaves
nothing of the desa's children on the phone."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from registry.testing import child_payload
from sprpa_shared.auth.principal import Role
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.browser.conftest import PHONE, Stack

VILLAGE = "35.09.11.2007"  # Kesilir, Wuluhan, Jember


async def test_a_cadres_pages_open_without_a_signal_and_sign_out_forgets_them(stack: Stack):
    await stack.user("kader.kesilir", Role.VILLAGE_CADRE, village_code=VILLAGE)
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as api:
        created = await api.post("/api/v1/children", json=child_payload(full_name="Rina Wulandari", nik=None),
                                 headers=await stack.bearer(Role.VILLAGE_CADRE, village_code=VILLAGE))
        assert created.status_code == 201, created.text
    child_id = created.json()["id"]

    cadre = await stack.signed_in("kader.kesilir", viewport=PHONE)
    manifest = await cadre.evaluate("fetch('/manifest.webmanifest').then(r => r.json())")
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/children"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        head = await cadre.evaluate(f"fetch('{icon['src']}').then(r => r.arrayBuffer()).then(b => "
                                    "Array.from(new Uint8Array(b).slice(0, 8)))")
        assert bytes(head) == b"\x89PNG\r\n\x1a\n"
    await expect(cadre.locator("#connection")).to_have_text("Daring")

    # The service worker takes over, and keeps the pages she opens: her list and a child's page.
    await cadre.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await cadre.reload()
    assert await cadre.evaluate("navigator.serviceWorker.controller !== null")
    await cadre.goto(f"{stack.web}/children")
    await expect(cadre.locator("#children")).to_contain_text("Rina Wulandari")
    await cadre.goto(f"{stack.web}/children/{child_id}")
    await expect(cadre.locator("h1")).to_contain_text("Rina Wulandari")

    await cadre.context.set_offline(True)
    await cadre.goto(f"{stack.web}/children")
    await expect(cadre.locator("#children")).to_contain_text("Rina Wulandari")
    await expect(cadre.locator("#connection")).to_contain_text("Tanpa sinyal")
    await cadre.goto(f"{stack.web}/children/{child_id}")
    await expect(cadre.locator("h1")).to_contain_text("Rina Wulandari")
    await cadre.goto(f"{stack.web}/children/{child_id}/visit?x=1")  # never opened: not kept
    await expect(cadre.locator("#offline-page")).to_be_visible()

    await cadre.context.set_offline(False)
    await cadre.goto(f"{stack.web}/children")
    await expect(cadre.locator("#connection")).to_have_text("Daring")
    assert await cadre.evaluate("caches.keys().then(keys => keys.length)") > 0
    await cadre.get_by_role("button", name="Keluar").click()
    await cadre.wait_for_url(f"{stack.web}/login")
    assert await cadre.evaluate("caches.keys().then(keys => keys.length)") == 0, "nothing kept after sign-out"
    assert await cadre.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0


async def test_people_other_than_cadres_get_no_service_worker(stack: Stack):
    await stack.user("operator.jember", Role.DISTRICT_OPERATOR, regency_codes=["35.09"])
    operator = await stack.signed_in("operator.jember")
    await operator.goto(f"{stack.web}/children")
    await expect(operator.locator("#connection")).to_have_text("Daring")
    assert await operator.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0


async def _register_offline(cadre, name: str, *, double_tap: bool = False, birth: str = "2013-03-03",
                            head_name: str | None = None) -> None:
    await cadre.goto(f"{cadre.url.split('/children')[0]}/children/new")  # a fresh form: its note not shown yet
    if head_name:
        await cadre.fill("#f-head_name", head_name)
    await cadre.fill("#f-full_name", name)
    await cadre.select_option("#f-sex", "female")
    await cadre.fill("#f-birth_date", birth)
    await cadre.select_option("#f-school_status", "out_of_school")
    await cadre.select_option("#f-living_arrangement", "with_family")
    save = cadre.get_by_role("button", name="Simpan")
    if double_tap:
        await save.dblclick()
    else:
        await save.click()
    await expect(cadre.locator("#queue-note")).to_contain_text("Tersimpan di HP ini")


async def _registry_counts(stack: Stack) -> tuple[int, int]:
    async with database(stack.apps["registry"]) as db:
        return (await db.fetchval("SELECT count(*) FROM children"), await db.fetchval("SELECT count(*) FROM visits"))


async def test_a_cadre_registers_and_visits_without_a_signal_and_it_all_arrives_once(stack: Stack):
    await stack.user("kader.kesilir", Role.VILLAGE_CADRE, village_code=VILLAGE)
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as api:
        known = await api.post("/api/v1/children", json=child_payload(full_name="Rina Wulandari", nik=None),
                               headers=await stack.bearer(Role.VILLAGE_CADRE, village_code=VILLAGE))
    child_id = known.json()["id"]
    cadre = await stack.signed_in("kader.kesilir", viewport=PHONE)
    await cadre.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await cadre.reload()
    for path in ("/children", "/children/new", f"/children/{child_id}", f"/children/{child_id}/visit"):
        await cadre.goto(f"{stack.web}{path}")  # opened once with a signal: kept for without

    await cadre.context.set_offline(True)
    await _register_offline(cadre, "Dewi Lestari", double_tap=True)
    await _register_offline(cadre, "Rina Wulandari", birth="2012-08-05")  # the same child as one registered
    await cadre.goto(f"{stack.web}/children/{child_id}/visit")
    await expect(cadre.locator("body[data-field-ready]")).to_have_count(1)
    await cadre.fill("#f-visited_on", "2026-11-23")
    await cadre.select_option("#f-attendance", "none")
    await cadre.get_by_role("button", name="Simpan").click()
    await expect(cadre.locator("#queue-items li")).to_have_count(3)
    await cadre.reload()  # the queue is on the phone, not in the page
    await expect(cadre.locator("#queue-items li")).to_have_count(3)
    await expect(cadre.locator("#connection")).to_contain_text("3 perubahan menunggu")
    stored = await cadre.evaluate("""new Promise(done => { const r = indexedDB.open('sprpa-field');
        r.onsuccess = () => r.result.transaction('changes').objectStore('changes').getAll().onsuccess =
        e => done(JSON.stringify(e.target.result.map(c => [c.kind, Object.keys(c)]))); })""")
    assert "Dewi" not in stored and "Lestari" not in stored, "queued changes are encrypted on the phone"
    assert await _registry_counts(stack) == (1, 0)

    await cadre.context.set_offline(False)
    await cadre.get_by_role("button", name="Kirim sekarang").click()
    await expect(cadre.locator("#queue-items li")).to_have_count(0, timeout=20_000)
    assert await _registry_counts(stack) == (3, 1), "two children and one visit, each once"
    await expect(cadre.locator("#queue-duplicates a")).to_have_count(1)  # told after the sync
    await cadre.locator("#queue-duplicates a").click()
    await expect(cadre.locator("main")).to_contain_text("Rina Wulandari")
    await cadre.locator(".ask-merge").first.click()  # the district decides; she asks
    await expect(cadre.locator("#saved")).to_contain_text("Operator kabupaten diberi tahu")

    # A change the server refuses stays, with its words, until it is fixed.
    await cadre.context.set_offline(True)
    await cadre.goto(f"{stack.web}/children/{child_id}/visit")
    await cadre.fill("#f-visited_on", "2026-11-01")  # before the child was registered: only the server knows
    await cadre.select_option("#f-attendance", "none")
    await cadre.get_by_role("button", name="Simpan").click()
    await cadre.context.set_offline(False)
    await cadre.get_by_role("button", name="Kirim sekarang").click()
    await expect(cadre.locator(".queue-error")).to_be_visible(timeout=20_000)
    await cadre.locator(".queue-fix").click()
    await cadre.wait_for_url(lambda url: url.endswith("/visit"))
    await expect(cadre.locator("#f-visited_on")).to_have_value("2026-11-01")
    await cadre.fill("#f-visited_on", "2026-11-23")
    await cadre.get_by_role("button", name="Simpan").click()
    await cadre.wait_for_url(lambda url: "saved=" in url)
    await expect(cadre.locator("#queue")).to_be_hidden()
    assert await _registry_counts(stack) == (3, 2)

    await cadre.get_by_role("button", name="Keluar").click()
    await cadre.wait_for_url(f"{stack.web}/login")
    assert await cadre.evaluate("indexedDB.databases().then(d => d.map(x => x.name))") == [], "nothing left"


async def test_two_devices_change_the_same_child_and_the_second_chooses_field_by_field(stack: Stack):
    await stack.user("kader.kesilir", Role.VILLAGE_CADRE, village_code=VILLAGE)
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as api:
        known = await api.post("/api/v1/children", json=child_payload(full_name="Rina Wulandari", nik=None),
                               headers=await stack.bearer(Role.VILLAGE_CADRE, village_code=VILLAGE))
    child_id = known.json()["id"]
    edit = f"{stack.web}/children/{child_id}/edit"
    phone = await stack.signed_in("kader.kesilir", viewport=PHONE)
    await phone.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await phone.reload()
    await phone.goto(edit)  # kept for without a signal

    await phone.context.set_offline(True)
    await phone.goto(edit)
    await phone.fill("#f-full_name", "Rina Wulandari Putri")
    await phone.fill("#f-birth_date", "2012-08-06")
    await phone.get_by_role("button", name="Simpan").click()
    await expect(phone.locator("#queue-items li")).to_have_count(1)

    desk = await stack.signed_in("kader.kesilir")  # the other device, online, changes the name too
    await desk.goto(edit)
    await desk.fill("#f-full_name", "Rina Wulandasari")
    await desk.get_by_role("button", name="Simpan").click()
    await desk.wait_for_url(lambda url: "saved=" in url)

    await phone.context.set_offline(False)
    await phone.get_by_role("button", name="Kirim sekarang").click()
    await expect(phone.locator(".queue-error")).to_be_visible(timeout=20_000)
    await phone.locator(".queue-fix").click()
    await phone.wait_for_url(lambda url: url.endswith("/edit"))
    await phone.get_by_role("button", name="Simpan").click()
    conflict = phone.locator("#conflicts")
    await expect(conflict).to_be_visible()
    await expect(conflict.locator("fieldset.conflict")).to_have_count(1)  # the birth date did not clash
    await expect(conflict).to_contain_text("Rina Wulandari Putri")
    await expect(conflict).to_contain_text("Rina Wulandasari")
    await expect(phone.locator("#f-birth_date")).to_have_value("2012-08-06")
    await phone.locator("#mine-full_name").check()
    await phone.get_by_role("button", name="Simpan").click()
    await phone.wait_for_url(lambda url: "saved=" in url)
    await expect(phone.locator("#queue")).to_be_hidden()

    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as api:
        now = (await api.get(f"/api/v1/children/{child_id}",
                             headers=await stack.bearer(Role.VILLAGE_CADRE, village_code=VILLAGE))).json()
    assert (now["full_name"], now["birth_date"]) == ("Rina Wulandari Putri", "2012-08-06")


async def test_the_field_app_keeps_nothing_of_other_desa_or_the_api_and_starts_offline_fast(stack: Stack):
    """Issue 23: the service worker never keeps another desa's data or an API answer; the app is
    installable, small, and opens without a signal in under 2 s."""
    await stack.user("kader.kesilir", Role.VILLAGE_CADRE, village_code=VILLAGE)
    async with httpx.AsyncClient(base_url=stack.urls["registry"]) as api:
        elsewhere = await api.post("/api/v1/children", json=child_payload(
            full_name="Anak Desa Lain", nik=None, village_code="35.09.11.2006"),
            headers=await stack.bearer(Role.VILLAGE_CADRE, village_code="35.09.11.2006"))
    cadre = await stack.signed_in("kader.kesilir", viewport=PHONE)
    await cadre.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await cadre.reload()
    assert await cadre.evaluate("navigator.serviceWorker.controller !== null"), "the worker controls the page"
    await cadre.goto(f"{stack.web}/children")
    await cadre.goto(f"{stack.web}/children/{elsewhere.json()['id']}")  # another desa's child: refused
    await cadre.evaluate("fetch('/places?parent=35').then(r => r.text())")
    kept = await cadre.evaluate("caches.open('sprpa-field-4').then(c => c.keys()).then(k => k.map(r => "
                                "new URL(r.url).pathname))")
    assert kept and all(path in ("/static/app.css", "/static/app.js", "/offline", "/icons/192.png", "/children",
                                 "/children/new", "/children/queued/visit") for path in kept), kept
    assert elsewhere.json()["id"] not in str(kept)

    sizes = await cadre.evaluate("""Promise.all(['/static/app.js', '/sw.js'].map(u =>
        fetch(u).then(r => r.blob()).then(b => new Response(b.stream().pipeThrough(new CompressionStream('gzip')))
        .blob()).then(g => g.size)))""")
    assert sum(sizes) < 150 * 1024, f"{sizes} bytes of JavaScript, compressed"

    await cadre.context.set_offline(True)
    await cadre.goto(f"{stack.web}/children")
    took = await cadre.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    await expect(cadre.locator("#connection")).to_contain_text("Tanpa sinyal")
    assert 0 < took < 2000, f"the offline start took {took} ms"


CASES = [  # (nik, birth date, sex): the registry's codes and the page's must agree
    ("3509114508120001", "2012-08-05", "female"), ("3509110508120001", "2012-08-05", "female"),
    ("3509110508120001", "2012-08-05", "male"), ("3509114508120000", "2012-08-05", "female"),
    ("3509114509120001", "2012-08-05", "female"), ("35091145081200", "2012-08-05", "female"),
    ("3509117102120001", "2012-02-29", "female"), ("3509112902990001", "1999-02-29", "male"),
    ("350911450812000x", "2012-08-05", "female"), ("3509113108120001", "2012-08-31", "male"),
]


async def test_the_pages_checks_agree_with_the_registrys(stack: Stack):
    from datetime import date

    from registry.children.nik import check_nik

    await stack.user("kader.cek", Role.VILLAGE_CADRE, village_code=VILLAGE)
    cadre = await stack.signed_in("kader.cek", viewport=PHONE)
    await cadre.goto(f"{stack.web}/children/new")
    for nik, birth, sex in CASES:
        try:
            born = date.fromisoformat(birth)
        except ValueError:
            continue
        server = sorted(p.code for p in check_nik(nik, birth_date=born, sex=sex, district_exists=True))
        page = sorted(await cadre.evaluate("([n, b, s]) => Checks.nik(n, b, s)", [nik, birth, sex]))
        assert page == server, (nik, birth, sex, page, server)

    await cadre.fill("#f-full_name", "Dewi")
    await cadre.select_option("#f-sex", "female")
    await cadre.fill("#f-birth_date", "2030-01-01")
    await cadre.fill("#f-nik", "12345")
    await cadre.get_by_role("button", name="Simpan").click()
    await expect(cadre.locator("#in-page-birth_date")).to_contain_text("belum terjadi")
    await expect(cadre.locator("#in-page-nik")).to_contain_text("16 angka")
    await expect(cadre.locator("#in-page-school_status")).to_contain_text("Wajib")
    assert cadre.url.endswith("/children/new"), "nothing left the phone"
    async with database(stack.apps["registry"]) as db:
        assert await db.fetchval("SELECT count(*) FROM children") == 0


async def test_a_sync_cut_off_after_the_server_took_the_change_still_gives_one_child(stack: Stack):
    await stack.user("kader.putus", Role.VILLAGE_CADRE, village_code=VILLAGE)
    cadre = await stack.signed_in("kader.putus", viewport=PHONE)
    await cadre.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await cadre.reload()
    await cadre.goto(f"{stack.web}/children/new")
    await cadre.context.set_offline(True)
    await _register_offline(cadre, "Dewi Lestari", head_name="Bapak Sutrisno")
    cut: list[str] = []

    async def taken_then_lost(route):
        if not cut:  # the server takes it; the answer never reaches the phone
            cut.append((await route.fetch()).url)
            await route.abort("connectionreset")
        else:
            await route.continue_()

    await cadre.context.route("**/children/new", taken_then_lost)
    await cadre.context.set_offline(False)
    await cadre.get_by_role("button", name="Kirim sekarang").click()
    await wait_until(lambda: bool(cut), timeout=20, what="the first attempt")
    await expect(cadre.locator("#queue-items li")).to_have_count(1)  # unanswered: still queued
    await cadre.get_by_role("button", name="Kirim sekarang").click()
    await expect(cadre.locator("#queue-items li")).to_have_count(0, timeout=20_000)
    async with database(stack.apps["registry"]) as db:
        assert await db.fetchval("SELECT count(*) FROM children") == 1
        assert await db.fetchval("SELECT count(*) FROM households") == 1


async def test_a_visit_to_a_child_registered_offline_waits_for_its_child(stack: Stack):
    await stack.user("kader.baru", Role.VILLAGE_CADRE, village_code=VILLAGE)
    cadre = await stack.signed_in("kader.baru", viewport=PHONE)
    await cadre.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await cadre.reload()  # the worker controls the page and keeps her forms, opened or not

    async def forms_kept() -> bool:
        return await cadre.evaluate("caches.open('sprpa-field-4').then(c => c.keys()).then(k => k.map(r => "
                                    "new URL(r.url).pathname).includes('/children/queued/visit'))")

    await wait_until(forms_kept, timeout=20, what="the forms kept")
    await cadre.context.set_offline(True)
    await cadre.goto(f"{stack.web}/children/new")
    await _register_offline(cadre, "Dewi Lestari")
    await cadre.locator(".queue-visit").click()
    await expect(cadre.locator("#visit-child")).to_have_text("Dewi Lestari")
    await cadre.fill("#f-visited_on", "2026-11-23")
    await cadre.select_option("#f-attendance", "none")
    await cadre.get_by_role("button", name="Simpan").click()
    await expect(cadre.locator("#queue-items li")).to_have_count(2)

    await cadre.context.set_offline(False)
    await cadre.get_by_role("button", name="Kirim sekarang").click()
    await expect(cadre.locator("#queue-items li")).to_have_count(0, timeout=20_000)
    async with database(stack.apps["registry"]) as db:
        rows = await db.fetch("SELECT c.id, count(v.id) AS visits FROM children c LEFT JOIN visits v "
                              "ON v.child_id = c.id GROUP BY c.id")
    assert [row["visits"] for row in rows] == [1], "the child, and its visit, once"
