"""Assembles the referral engine: its replica of the provider directory (matching lands next)."""

from fastapi import FastAPI

from referral.directory.handlers import HANDLERS as DIRECTORY_HANDLERS
from referral.settings import ReferralSettings
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock
from sprpa_shared.events.bus import Subscription


def create_app(
    settings: ReferralSettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or ReferralSettings()
    return create_service_app(
        settings,
        title="SPRPA referral engine",
        description="Matches flagged needs to MOU providers, fans out offers and tracks every referral to its end.",
        subscriptions=[
            Subscription(
                spec=settings.consumer(name="directory", stream="PROVIDERS", subjects=[
                    "sprpa.providers.organization.upserted.>", "sprpa.providers.mou.changed.>",
                    "sprpa.providers.offering.changed.>"]),
                handlers=DIRECTORY_HANDLERS,
            )
        ],
        verifier=verifier,
        clock=clock,
    )
