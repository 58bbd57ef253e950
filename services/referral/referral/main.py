"""Assembles the referral service: settings, routers, consumers, jobs."""

from fastapi import FastAPI

from referral.settings import ReferralSettings
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock


def create_app(
    settings: ReferralSettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    return create_service_app(
        settings or ReferralSettings(),
        title="SPRPA referral engine",
        description="Matches flagged needs to MOU providers, fans out offers and tracks every referral to its end.",
        verifier=verifier,
        clock=clock,
    )
