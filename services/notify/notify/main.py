"""Assembles the notify service: event-fed notices, their email deliveries, the SLA reminders."""

from fastapi import FastAPI

from notify import handlers
from notify.router import router
from notify.sending import channels, deliveries, reminders
from notify.settings import NotifySettings
from sprpa_shared import protect
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock
from sprpa_shared.events.bus import Subscription


def consumers(settings: NotifySettings):
    return [
        settings.consumer(name="registry", stream="REGISTRY", subjects=[
            "sprpa.registry.case.status_changed.>", "sprpa.registry.child.erased.>",
            "sprpa.registry.child.merged.>"]),
        settings.consumer(name="referral", stream="REFERRAL", subjects=[
            "sprpa.referral.referral.status_changed.>", "sprpa.referral.gap.recorded.>"]),
        settings.consumer(name="providers", stream="PROVIDERS", subjects=[
            "sprpa.providers.organization.upserted.>", "sprpa.providers.mou.expiring.>",
            "sprpa.providers.mou.expired.>"]),
    ]


def create_app(
    settings: NotifySettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or NotifySettings()
    protect.configure(settings.protector())
    registry, referral, providers = consumers(settings)
    app = create_service_app(
        settings,
        title="SPRPA notify",
        description="Tells the people the referral loop depends on: in-app notifications, email, SLA reminders.",
        routers=[router],
        subscriptions=[
            Subscription(spec=registry, handlers=handlers.REGISTRY),
            Subscription(spec=referral, handlers=handlers.REFERRAL),
            Subscription(spec=providers, handlers=handlers.PROVIDERS),
        ],
        jobs=[reminders, deliveries],
        verifier=verifier,
        clock=clock,
    )
    app.state.channels = channels(settings)
    return app
