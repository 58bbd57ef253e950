"""The whole system served over real HTTP on free ports (the five services on the test PostgreSQL and
NATS, sharing one movable clock), users in the web's own issuer, and Debian's Chromium driven by
Playwright. The services trust the web's issuer, fetching its JWKS over HTTP, as in production."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from registry.testing import TODAY
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.auth.signing import mint_token
from sprpa_shared.clock import MovableClock
from tests.served import served_system
from web.issuer import service as issuer_service

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("SPRPA_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
CHROMIUM = os.environ.get("SPRPA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's notes say: no background networking, no first-run or update checks (the network is closed).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "kata-sandi-uji-123"
# How long `expect` waits for a page to show something (Playwright's default is 5 s). A fresh clone's
# suite on a slow two-core machine (three test workers, five services and Chromium at a load of 8)
# once ran past 5 s for a page to say a form was saved: these are bounds on something happening,
# not speed checks.
expect.set_options(timeout=20_000)
CALL_FAILED = pytest.StashKey[bool]()
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Stack:
    """The running system: its URLs, apps and clock, and a way to add users to the web's issuer."""

    urls: dict[str, str]
    apps: dict[str, FastAPI]
    clock: MovableClock
    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)

    @property
    def web(self) -> str:
        return self.urls["web"]

    async def user(self, username: str, role: Role, **scope) -> str:
        web = self.apps["web"]
        async with web.state.sessions() as session:
            await issuer_service.create_user(session, username=username, password=PASSWORD, role=role, **scope)
            await session.commit()
        return username

    async def bearer(self, role: Role, **scope) -> dict[str, str]:
        """Headers with a token of the web's own issuer, for what the pages do not do yet."""
        web = self.apps["web"]
        settings = web.state.settings
        async with web.state.sessions() as session:
            key = await issuer_service.signing_key(session, secret_key=settings.secret_key, now=self.clock.now())
            await session.commit()
        principal = Principal(subject=f"test-{role.value}", role=role, **scope)
        token = mint_token(key, principal, issuer=settings.oidc_issuer.rstrip("/"), audience=settings.oidc_audience)
        return {"Authorization": f"Bearer {token}"}

    async def signed_in(self, username: str, *, viewport: dict = DESKTOP) -> Page:
        """A fresh browser (its own cookies) signed in as the user, on their home page."""
        context = await self.browser.new_context(viewport=viewport, locale="id-ID")
        self.contexts.append(context)
        page = await context.new_page()
        await page.goto(f"{self.web}/login")
        await page.get_by_label("Nama pengguna").fill(username)
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        await page.wait_for_url(lambda url: "/login" not in url)
        return page


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Whether the test itself failed, for the `stack` fixture to keep its pages as they were."""
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


async def keep_pages(contexts: list[BrowserContext], name: str) -> None:
    """Every open page of a failed test, as its screenshot and its HTML (test artefacts, never
    committed): what a wait that ran out was looking at."""
    folder = ARTEFACTS.parent / "failures"
    folder.mkdir(parents=True, exist_ok=True)
    pages = [page for context in contexts for page in context.pages]
    for index, page in enumerate(pages):
        stem = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}-{index}"
        try:
            await page.screenshot(path=stem.with_suffix(".png"), full_page=True)
            stem.with_suffix(".html").write_text(f"<!-- {page.url} -->\n{await page.content()}")
        except Exception as exc:  # noqa: BLE001 - a page that cannot be kept does not hide the failure
            stem.with_suffix(".txt").write_text(f"{page.url}: {type(exc).__name__}: {exc}")


async def screenshot(page: Page, name: str) -> None:
    """The page at phone and desktop width, saved as test artefacts (never committed)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(viewport)
        await page.screenshot(path=ARTEFACTS / f"{name}-{label}.png", full_page=True)
    await page.set_viewport_size(size)


@pytest.fixture
async def stack(request, make_settings, tmp_path_factory) -> AsyncIterator[Stack]:
    clock = MovableClock(TODAY)
    async with served_system(make_settings, tmp_path_factory, clock) as (urls, apps), \
            async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack = Stack(urls, apps, clock, browser)
        try:
            yield stack
        finally:
            if request.node.stash.get(CALL_FAILED, False):
                await keep_pages(browser.contexts, request.node.name)
            for context in stack.contexts:
                await context.close()
            await browser.close()


RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+\b")


async def no_raw_codes(page) -> None:
    """Nothing a person reads on the page is a code (`flag_received`, `education.formal_school`):
    issue 25, point 1."""
    # Names people chose (usernames such as kader.kesilir, API client ids) are marked data-name: not codes.
    shown = await page.evaluate("""() => { const main = document.querySelector('main').cloneNode(true);
        main.querySelectorAll('[data-name]').forEach(node => node.remove()); document.body.appendChild(main);
        const text = main.innerText; main.remove(); return text; }""")
    assert not RAW_CODE.findall(shown), f"codes on {page.url}: {sorted(set(RAW_CODE.findall(shown)))}"


async def cards_on_a_phone(page, table: str) -> None:
    """Issue 25, point 3: on a 360 px phone the list `table` (a CSS selector) shows each row as a
    card whose key fields (class `key`) come first, under its title, and lie whole on the screen:
    nothing of the list needs scrolling sideways."""
    size = page.viewport_size
    await page.set_viewport_size(PHONE)
    try:
        found = await page.eval_on_selector(table, """table => {
            const width = document.documentElement.clientWidth;
            const rows = [...table.querySelectorAll('tbody tr')].filter(row => row.querySelector('td.key'));
            return {width, scroll: table.parentElement.scrollWidth - table.parentElement.clientWidth,
                    rows: rows.map(row => {
                        const cells = [...row.querySelectorAll('td')].filter(td => td.offsetParent !== null);
                        const box = td => td.getBoundingClientRect();
                        const keys = cells.filter(td => td.classList.contains('key'));
                        const rest = cells.filter(td => !['key', 'title'].some(c => td.classList.contains(c)));
                        return {outside: keys.filter(td => box(td).left < 0 || box(td).right > width).length,
                                keysLast: Math.max(...keys.map(td => box(td).top)),
                                restFirst: Math.min(...rest.map(td => box(td).top), Infinity)};
                    })};
        }""")
    finally:
        await page.set_viewport_size(size)
    assert found["rows"], f"{table} on {page.url} has no row with a key field"
    assert found["scroll"] <= 0, f"{table} on {page.url} scrolls sideways by {found['scroll']} px"
    for row in found["rows"]:
        assert row["outside"] == 0, f"a key field of {table} on {page.url} is off a {PHONE['width']} px screen"
        assert row["keysLast"] < row["restFirst"], f"{table} on {page.url}: key fields come first on a phone"
