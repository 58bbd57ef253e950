"""Assembles the reports service: event-fed read models and the reports over them."""

from fastapi import FastAPI

from reports.inputs import kla_entries, targets
from reports.router import router
from reports.settings import ReportsSettings
from reports.subscriptions import subscriptions
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock


def create_app(
    settings: ReportsSettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or ReportsSettings()
    return create_service_app(
        settings,
        title="SPRPA reports",
        description="Read models built from events: dashboards, KLA indicators, pilot targets and programme tables.",
        routers=[router, targets.router, kla_entries.router],
        subscriptions=subscriptions(settings),
        verifier=verifier,
        clock=clock,
        audited=True,
    )
