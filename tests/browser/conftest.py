"""The whole system served over real HTTP on free ports (the five services on the test PostgreSQL and
NATS, sharing one movable clock), users in the web's own issuer, and Debian's Chromium driven by
Playwright. The services trust the web's issuer, fetching its JWKS over HTTP, as in production."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from providers.main import create_app as create_providers
from providers.settings import ProvidersSettings
from referral.main import create_app as create_referral
from referral.settings import ReferralSettings
from registry.main import create_app as create_registry
from registry.settings import RegistrySettings
from registry.testing import TODAY
from reports.main import create_app as create_reports
from reports.settings import ReportsSettings
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.auth.signing import mint_token
from sprpa_shared.clock import MovableClock
from sprpa_shared.embedded import free_port
from sprpa_shared.testing import wait_until
from web.issuer import service as issuer_service
from web.main import create_app as create_web
from web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("SPRPA_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
CHROMIUM = os.environ.get("SPRPA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's notes say: no background networking, no first-run or update checks (the network is closed).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "kata-sandi-uji-123"
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


async def screenshot(page: Page, name: str) -> None:
    """The page at phone and desktop width, saved as test artefacts (never committed)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(viewport)
        await page.screenshot(path=ARTEFACTS / f"{name}-{label}.png", full_page=True)
    await page.set_viewport_size(size)


@asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started or task.done(), timeout=20, what=f"uvicorn on port {port}")
        if task.done():
            task.result()  # raises what stopped it
        await app.state.bus.wait_ready(20)
        yield
    finally:
        server.should_exit = True
        await task


def _trusting(settings, web_url: str):
    return settings.model_copy(update={"oidc_issuer": web_url, "jwks_url": f"{web_url}/.well-known/jwks.json"})


@pytest.fixture
async def stack(make_settings, tmp_path_factory) -> AsyncIterator[Stack]:
    clock = MovableClock(TODAY)
    ports = {name: free_port() for name in ("web", "registry", "providers", "referral", "reports")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    web_settings = await make_settings(WebSettings, registry_url=urls["registry"], providers_url=urls["providers"],
                                       referral_url=urls["referral"], reports_url=urls["reports"],
                                       secret_key="browser-test-secret-" + uuid.uuid4().hex)
    settings = {
        "web": _trusting(web_settings, urls["web"]),
        "registry": _trusting(await make_settings(RegistrySettings,
                                                  import_spool_dir=tmp_path_factory.mktemp("spool")), urls["web"]),
        "providers": _trusting(await make_settings(ProvidersSettings), urls["web"]),
        "referral": _trusting(await make_settings(ReferralSettings), urls["web"]),
        "reports": _trusting(await make_settings(ReportsSettings), urls["web"]),
    }
    factories = {"web": create_web, "registry": create_registry, "providers": create_providers,
                 "referral": create_referral, "reports": create_reports}
    apps = {name: factories[name](settings[name], clock=clock) for name in factories}
    async with serving(apps["web"], ports["web"]), serving(apps["registry"], ports["registry"]), \
            serving(apps["providers"], ports["providers"]), serving(apps["referral"], ports["referral"]), \
            serving(apps["reports"], ports["reports"]), async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack = Stack(urls, apps, clock, browser)
        try:
            yield stack
        finally:
            for context in stack.contexts:
                await context.close()
            await browser.close()


RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+\b")


async def no_raw_codes(page) -> None:
    """Nothing a person reads on the page is a code (`flag_received`, `education.formal_school`):
    issue 25, point 1."""
    shown = await page.locator("main").inner_text()
    assert not RAW_CODE.findall(shown), f"codes on {page.url}: {sorted(set(RAW_CODE.findall(shown)))}"
