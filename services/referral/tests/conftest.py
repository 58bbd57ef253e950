"""The referral engine running on the test servers, with a clock the test moves."""

from __future__ import annotations

import pytest

from referral.main import create_app
from referral.settings import ReferralSettings
from referral.testing import NOW, Directory
from sprpa_shared.clock import MovableClock
from sprpa_shared.testing.apps import running


@pytest.fixture
async def engine(make_settings, issuer):
    """(the app, an HTTP client to it, its directory builder); the SLA sweeper job is left to the test."""
    settings = await make_settings(ReferralSettings, sla_sweep_seconds=3600.0)
    app = create_app(settings, verifier=issuer.verifier(), clock=MovableClock(NOW))
    async with running(app) as api:
        yield app, api, Directory(app)
