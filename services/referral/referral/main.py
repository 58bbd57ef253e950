"""Assembles the referral engine: directory replica, fan-out on `case.flagged`, the referral
lifecycle APIs, gaps, per-kabupaten settings and the SLA sweeper."""

from fastapi import FastAPI

from referral.cases.router import router as cases_router
from referral.fanout.sweeper import sla_sweeper
from referral.gaps.router import router as gaps_router
from referral.kabupaten.router import router as settings_router
from referral.referrals.router import router as referrals_router
from referral.settings import ReferralSettings
from referral.subscriptions import subscriptions
from sprpa_shared import protect
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock, SystemClock


def create_app(
    settings: ReferralSettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or ReferralSettings()
    protect.configure(settings.protector())
    clock = clock or SystemClock()
    return create_service_app(
        settings,
        title="SPRPA referral engine",
        description="Matches flagged needs to MOU providers, fans out offers and tracks every referral to its end.",
        routers=[referrals_router, cases_router, gaps_router, settings_router],
        subscriptions=subscriptions(settings, clock),
        jobs=[sla_sweeper],
        verifier=verifier,
        clock=clock,
        audited=True,
    )
