"""Assembles the reports service: event-fed read models and the reports over them."""

from fastapi import FastAPI

from reports.inputs import kla_entries, targets
from reports.readmodels import handlers
from reports.readmodels.rebuild import consumers
from reports.router import router
from reports.settings import ReportsSettings
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock
from sprpa_shared.events.bus import Subscription


def create_app(
    settings: ReportsSettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or ReportsSettings()
    registry, referral, providers = consumers(settings)
    return create_service_app(
        settings,
        title="SPRPA reports",
        description="Read models built from events: dashboards, KLA indicators, pilot targets and programme tables.",
        routers=[router, targets.router, kla_entries.router],
        subscriptions=[
            Subscription(spec=registry, handlers=handlers.handlers(registry.durable, handlers.REGISTRY)),
            Subscription(spec=referral, handlers=handlers.handlers(referral.durable, handlers.REFERRAL)),
            Subscription(spec=providers, handlers=handlers.handlers(providers.durable, handlers.PROVIDERS)),
        ],
        verifier=verifier,
        clock=clock,
        audited=True,
    )
