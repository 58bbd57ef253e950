"""The field app (issue 23, point 1): a cadre's pages are an installable app whose pages she has
opened stay readable with no signal, every page says whether it is online, and signing out leaves
nothing of the desa's children on the phone."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from registry.testing import child_payload
from sprpa_shared.auth.principal import Role
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
