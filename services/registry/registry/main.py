"""Assembles the registry service: settings, routers, consumers, jobs."""

from fastapi import FastAPI

from registry.settings import RegistrySettings
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock


def create_app(
    settings: RegistrySettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    return create_service_app(
        settings or RegistrySettings(),
        title="SPRPA registry",
        description="Children, households, official places, monitoring visits, classification and flagging.",
        verifier=verifier,
        clock=clock,
    )
