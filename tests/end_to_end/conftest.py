"""The services running together on the test servers, in this process, sharing one clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from providers.main import create_app as create_providers
from providers.settings import ProvidersSettings
from referral.main import create_app as create_referral
from referral.settings import ReferralSettings
from registry.main import create_app as create_registry
from registry.settings import RegistrySettings
from registry.testing import TODAY
from reports.main import create_app as create_reports
from reports.settings import ReportsSettings
from sprpa_shared.clock import MovableClock
from sprpa_shared.testing.apps import running

GUARDIAN = {"basis": "guardian", "given_by": "Ibu Sri", "relation": "mother", "given_on": "2026-11-20"}
ASSESSMENT = {"work": {"sector": "tobacco", "hours_per_day": 5, "hours_per_week": 30, "hazards": ["green_tobacco"]},
              "school_status": "out_of_school", "living_arrangement": "with_family", "root_causes": ["out_of_school"]}


@dataclass
class System:
    """HTTP clients of each service, and the apps (for their databases and buses)."""

    registry: httpx.AsyncClient
    providers: httpx.AsyncClient
    engine: httpx.AsyncClient
    reports: httpx.AsyncClient
    apps: dict[str, FastAPI]


@asynccontextmanager
async def running_system(make_settings, issuer, tmp_path_factory, **overrides) -> AsyncIterator[System]:
    """The four services on one clock; `overrides` go to every service's settings."""
    clock = MovableClock(TODAY)
    registry = create_registry(await make_settings(RegistrySettings, **overrides,
                                                   import_spool_dir=tmp_path_factory.mktemp("spool")),
                               verifier=issuer.verifier(), clock=clock)
    providers = create_providers(await make_settings(ProvidersSettings, **overrides), verifier=issuer.verifier(),
                                 clock=clock)
    referral = create_referral(await make_settings(ReferralSettings, **overrides), verifier=issuer.verifier(),
                               clock=clock)
    reports = create_reports(await make_settings(ReportsSettings, **overrides), verifier=issuer.verifier(),
                             clock=clock)
    async with running(registry) as reg, running(providers) as prov, running(referral) as ref, \
            running(reports) as rep:
        yield System(reg, prov, ref, rep, {"registry": registry, "providers": providers, "referral": referral,
                                           "reports": reports})


@pytest.fixture
async def system(make_settings, issuer, tmp_path_factory):
    async with running_system(make_settings, issuer, tmp_path_factory) as started:
        yield started
