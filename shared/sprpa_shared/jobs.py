"""Periodic background jobs of a service (sweepers, the audit sealer): one pass now, then one
every so often, until the app stops. A pass that fails is logged and the next one tries again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
from fastapi import FastAPI

from sprpa_shared.observability import error_fields, get_logger

log = get_logger(__name__)


def periodic(one_pass: Callable[[FastAPI], Awaitable[object]], *, every: str, what: str):
    """The app job running `one_pass(app)` every `settings.<every>` seconds (a schedule, not a wait
    for something to happen); `what` names it in the log when a pass fails."""
    return woken(one_pass, every=every, what=what, channel=None)


def woken(one_pass: Callable[[FastAPI], Awaitable[object]], *, every: str, what: str, channel: str | None):
    """`periodic`, and also woken at once by a PostgreSQL NOTIFY on `channel`: the writer's
    `pg_notify` reaches the listeners when its transaction commits, so a pass never runs before the
    rows it is woken for are visible, and every replica hears it. The schedule stays: a lost
    listener connection only delays work to the next pass (and is made again)."""

    async def job(app: FastAPI) -> None:
        me = asyncio.current_task()
        wake = asyncio.Event()
        listener: asyncpg.Connection | None = None
        try:
            while True:
                if me is not None and me.cancelling():
                    raise asyncio.CancelledError  # asked to stop, though something in the pass swallowed it
                if channel is not None and (listener is None or listener.is_closed()):
                    listener = await _listen(app.state.settings.asyncpg_url, channel, wake, what)
                wake.clear()  # a NOTIFY during the pass runs another one
                try:
                    await one_pass(app)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the next pass tries again
                    log.warning(f"{what} failed", **error_fields(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=getattr(app.state.settings, every))
        finally:
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.close(timeout=2)

    job.__name__ = getattr(one_pass, "__name__", what.replace(" ", "_"))
    return job


async def _listen(dsn: str, channel: str, wake: asyncio.Event, what: str) -> asyncpg.Connection | None:
    try:
        listener = await asyncpg.connect(dsn)
        await listener.add_listener(channel, lambda *_: wake.set())
        return listener
    except (OSError, asyncpg.PostgresError) as exc:
        log.warning(f"{what}: not listening, on schedule only", **error_fields(exc))
        return None
