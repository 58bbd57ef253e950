"""Assembles the providers service: the catalogue, organisations and MOUs."""

from fastapi import FastAPI

from providers.catalogue.router import router as catalogue_router
from providers.hsds.router import router as hsds_router
from providers.mous.expiry import mou_sweeper
from providers.offerings.router import router as offerings_router
from providers.organizations.router import backbones as backbones_router
from providers.organizations.router import router as organizations_router
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
        description="Service providers, their MOUs per kabupaten, offerings and search, and the service catalogue.",
        routers=[catalogue_router, organizations_router, backbones_router, offerings_router, hsds_router],
        jobs=[mou_sweeper],
        verifier=verifier,
        clock=clock,
    )
