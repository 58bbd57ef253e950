"""Assembles the notify service: event-fed notices, their email deliveries, the SLA reminders, webhooks."""

from fastapi import FastAPI

from notify.channels.receipts import router as receipts_router
from notify.router import router
from notify.sending import channels, deliveries, reminders
from notify.settings import NotifySettings
from notify.subscriptions import subscriptions
from notify.webhooks.fanout import Wanted, listening
from notify.webhooks.router import router as webhooks_router
from notify.webhooks.sender import webhook_sender
from sprpa_shared import protect
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock


def create_app(
    settings: NotifySettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or NotifySettings()
    protect.configure(settings.protector())
    wanted = Wanted()
    app = create_service_app(
        settings,
        title="SPRPA notify",
        description="Tells the people the referral loop depends on: in-app notifications, email, WhatsApp, SMS, "
                    "SLA reminders, webhooks.",
        routers=[router, receipts_router, webhooks_router],
        subscriptions=subscriptions(settings, wanted=wanted),
        jobs=[reminders, deliveries, webhook_sender, listening(wanted)],
        verifier=verifier,
        clock=clock,
    )
    app.state.channels = channels(settings)
    app.state.webhooks_wanted = wanted
    return app
