"""Assembles the web service: the local issuer and the pages for operators, cadres, providers and analysts."""

from fastapi import FastAPI

from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock
from web import ui
from web.accounts.router import router as accounts_router
from web.issuer.router import router as issuer_router
from web.settings import WebSettings


def create_app(
    settings: WebSettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or WebSettings()
    app = create_service_app(
        settings,
        title="SPRPA web",
        description="The thin front end for operators, cadres and providers, and the local token issuer.",
        routers=[issuer_router, accounts_router],
        jobs=[ui.close_backends],
        verifier=verifier,
        clock=clock,
        body_limits={"/imports": settings.upload_max_bytes},
        audited=True,
    )
    ui.install(app)
    return app
