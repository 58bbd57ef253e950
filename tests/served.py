"""The whole system served over real HTTP on free ports: the six services on the test PostgreSQL
and NATS, sharing one movable clock, the four API services trusting the web's own issuer (its JWKS
fetched over HTTP, as in production). The browser tests and the integration guide's examples run
against it."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from notify.main import create_app as create_notify
from notify.settings import NotifySettings
from providers.main import create_app as create_providers
from providers.settings import ProvidersSettings
from referral.main import create_app as create_referral
from referral.settings import ReferralSettings
from registry.main import create_app as create_registry
from registry.settings import RegistrySettings
from reports.main import create_app as create_reports
from reports.settings import ReportsSettings
from sprpa_shared.clock import MovableClock
from sprpa_shared.ops.server import config as server_config
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import bound_socket
from web.main import create_app as create_web
from web.settings import WebSettings


@asynccontextmanager
async def serving(app: FastAPI, listening: socket.socket) -> AsyncIterator[None]:
    """`app` on a socket bound already: no other process can take its port between choosing and binding
    it (a free port chosen, then bound a moment later, was once taken by another test's connection)."""
    port = listening.getsockname()[1]
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[listening]))
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


@asynccontextmanager
async def served_system(make_settings, tmp_path_factory, clock: MovableClock, **overrides
                        ) -> AsyncIterator[tuple[dict[str, str], dict[str, FastAPI]]]:
    """(the services' base URLs, their apps) by name: web, registry, providers, referral, reports, notify;
    `overrides` go to every service's settings."""
    sockets = {name: bound_socket() for name in ("web", "registry", "providers", "referral", "reports", "notify")}
    urls = {name: f"http://127.0.0.1:{sock.getsockname()[1]}" for name, sock in sockets.items()}
    web_settings = await make_settings(WebSettings, **overrides, registry_url=urls["registry"],
                                       providers_url=urls["providers"], referral_url=urls["referral"],
                                       reports_url=urls["reports"], notify_url=urls["notify"],
                                       secret_key="served-test-secret-" + uuid.uuid4().hex)
    settings = {
        "web": _trusting(web_settings, urls["web"]),
        "registry": _trusting(await make_settings(RegistrySettings, **overrides,
                                                  import_spool_dir=tmp_path_factory.mktemp("spool")), urls["web"]),
        "providers": _trusting(await make_settings(ProvidersSettings, **overrides), urls["web"]),
        "referral": _trusting(await make_settings(ReferralSettings, **overrides), urls["web"]),
        "reports": _trusting(await make_settings(ReportsSettings, **overrides), urls["web"]),
        "notify": _trusting(await make_settings(NotifySettings, **overrides, web_url=urls["web"]), urls["web"]),
    }
    factories = {"web": create_web, "registry": create_registry, "providers": create_providers,
                 "referral": create_referral, "reports": create_reports, "notify": create_notify}
    apps = {name: factories[name](settings[name], clock=clock) for name in factories}
    try:
        async with serving(apps["web"], sockets["web"]), serving(apps["registry"], sockets["registry"]), \
                serving(apps["providers"], sockets["providers"]), serving(apps["referral"], sockets["referral"]), \
                serving(apps["reports"], sockets["reports"]), serving(apps["notify"], sockets["notify"]):
            yield urls, apps
    finally:
        for sock in sockets.values():
            sock.close()
