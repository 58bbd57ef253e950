"""The SLA sweeper: an app job that expires unanswered offers and offers the next candidates.

Each pass claims due needs with `FOR UPDATE SKIP LOCKED` (see `referrals.service.sweep`), so
every replica of the service can run it: they share the work and never expire an offer twice.
"""

from __future__ import annotations

from fastapi import FastAPI

from referral.referrals.service import sweep
from sprpa_shared.db import transaction
from sprpa_shared.jobs import periodic
from sprpa_shared.observability import get_logger

log = get_logger(__name__)


async def sweep_once(app: FastAPI) -> int:
    settings = app.state.settings
    total = 0
    while True:  # batch after batch until nothing is due
        async with transaction(app.state.sessions) as session:
            expired = await sweep(session, settings=settings, now=app.state.clock.now())
        total += expired
        if expired == 0:
            return total


async def _sla_pass(app: FastAPI) -> None:
    expired = await sweep_once(app)
    if expired:
        log.info("offers expired past their SLA", count=expired)
        app.state.metrics.counter("sprpa_referral_offers_expired", "Offers expired past their SLA").inc(expired)


sla_sweeper = periodic(_sla_pass, every="sla_sweep_seconds", what="SLA sweep")
