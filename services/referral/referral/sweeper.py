"""The SLA sweeper: an app job that expires unanswered offers and offers the next candidates.

Each pass claims due needs with `FOR UPDATE SKIP LOCKED` (see `referrals.service.sweep`), so
every replica of the service can run it: they share the work and never expire an offer twice.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import FastAPI

from referral.referrals.service import sweep
from sprpa_shared.db import transaction
from sprpa_shared.observability import error_fields, get_logger

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


async def sla_sweeper(app: FastAPI) -> None:
    """The app job: a pass now and then every `sla_sweep_seconds`."""
    while True:
        try:
            expired = await sweep_once(app)
            if expired:
                log.info("offers expired past their SLA", count=expired)
                app.state.metrics.counter("sprpa_referral_offers_expired", "Offers expired past their SLA").inc(expired)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the next pass tries again
            log.warning("SLA sweep failed", **error_fields(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.Event().wait(), timeout=app.state.settings.sla_sweep_seconds)
