"""Assembles the web service: the local issuer now, the operators' pages as they land."""

from fastapi import FastAPI

from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock
from web.issuer.router import router as issuer_router
from web.settings import WebSettings


def create_app(
    settings: WebSettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    return create_service_app(
        settings or WebSettings(),
        title="SPRPA web",
        description="The thin front end for operators, cadres and providers, and the local token issuer.",
        routers=[issuer_router],
        verifier=verifier,
        clock=clock,
        audited=True,
    )
