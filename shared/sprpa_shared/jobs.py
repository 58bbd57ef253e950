"""Periodic background jobs of a service (sweepers, the audit sealer): one pass now, then one
every so often, until the app stops. A pass that fails is logged and the next one tries again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from sprpa_shared.observability import error_fields, get_logger

log = get_logger(__name__)


def periodic(one_pass: Callable[[FastAPI], Awaitable[object]], *, every: str, what: str):
    """The app job running `one_pass(app)` every `settings.<every>` seconds (a schedule, not a wait
    for something to happen); `what` names it in the log when a pass fails."""

    async def job(app: FastAPI) -> None:
        me = asyncio.current_task()
        while True:
            if me is not None and me.cancelling():
                raise asyncio.CancelledError  # asked to stop, though something in the pass swallowed it
            try:
                await one_pass(app)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next pass tries again
                log.warning(f"{what} failed", **error_fields(exc))
            await asyncio.sleep(getattr(app.state.settings, every))

    job.__name__ = getattr(one_pass, "__name__", what.replace(" ", "_"))
    return job
