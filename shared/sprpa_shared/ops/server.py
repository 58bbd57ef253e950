"""The HTTP server every service runs: uvicorn's, with its housekeeping once a second, not ten times.

uvicorn's main loop wakes every 100 ms to look whether it must stop and, every tenth time, to
renew the Date header. Each wake-up costs the process about 0.16 ms of CPU on a small virtual
machine (measured: an idle server 1.8 ms of CPU a second, 0.26 at one wake-up a second); six
services made 9 of the idle stack's 22 ms a second (docs/performance.md). Here the loop wakes once a
second (the Date header is whole seconds anyway) and at once when a signal asks it to stop, so a
service stops as promptly as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.main import STARTUP_FAILURE

TICK_SECONDS = 1.0
# How long a service keeps an idle keep-alive connection open: longer than its clients keep one for
# reuse (httpx's pools keep theirs 5 s, the web's pages' among them), so the client drops it first
# instead of sending a request on a connection being closed. uvicorn's default is 5 s too: the
# suite's served system, which set its own uvicorn options, ran with it, and a page's call failed
# with RemoteProtocolError (two fresh clones' suites on a loaded machine). `config` gives it to both.
KEEP_ALIVE_SECONDS = 75


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tick: asyncio.Future | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 10) % 864000  # `on_tick` counts tenths of a second
            if not self.should_exit:  # asked while the last tick ran: no wait
                self._tick = self._loop.create_future()
                timer = self._loop.call_later(TICK_SECONDS, _release, self._tick)
                try:
                    await self._tick
                finally:
                    timer.cancel()
            should_exit = await self.on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and self._tick is not None:
            self._loop.call_soon_threadsafe(_release, self._tick)  # a signal handler, or another thread


def _release(tick: asyncio.Future) -> None:
    if not tick.done():
        tick.set_result(None)


def config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration of a service: `options`, and the keep-alive unless they say otherwise."""
    return uvicorn.Config(app, **{"timeout_keep_alive": KEEP_ALIVE_SECONDS, **options})


def serve(app: Any, **options: Any) -> None:
    """`uvicorn.run(app, **options)` with this server (one process, no reload)."""
    server = Server(config(app, **options))
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
