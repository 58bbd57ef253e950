"""Assembles the providers service: settings, routers, consumers, jobs."""

from fastapi import FastAPI

from providers.settings import ProvidersSettings
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock


def create_app(
    settings: ProvidersSettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    return create_service_app(
        settings or ProvidersSettings(),
        title="SPRPA providers",
        description="Service-provider organisations, MOUs per kabupaten, the service catalogue and the HSDS directory.",
        verifier=verifier,
        clock=clock,
    )
