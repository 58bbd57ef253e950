"""Assembles the reports service: settings, routers, consumers, jobs."""

from fastapi import FastAPI

from reports.settings import ReportsSettings
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock


def create_app(
    settings: ReportsSettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    return create_service_app(
        settings or ReportsSettings(),
        title="SPRPA reports",
        description="Read models built from events: dashboards, KLA indicators, pilot targets and programme tables.",
        verifier=verifier,
        clock=clock,
    )
