"""The HTTP server every service runs (ops/server.py): housekeeping once a second, stopping at once."""

from __future__ import annotations

import signal
import threading
import time

import httpx
import uvicorn

from sprpa_shared.ops.embedded import free_port
from sprpa_shared.ops.server import TICK_SECONDS, Server, config
from sprpa_shared.testing import wait_until
from web.ui.backends import POOL_KEEPALIVE_SECONDS


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def test_the_server_wakes_once_a_second_when_idle_and_stops_at_once_when_asked():
    port = free_port()
    server = Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    ticks: list[float] = []
    tick = server.on_tick

    async def counted(counter: int) -> bool:
        ticks.append(time.monotonic())
        return await tick(counter)

    server.on_tick = counted  # type: ignore[method-assign]
    # In a thread of its own: it installs no signal handlers there, and is asked to stop from another.
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    await wait_until(lambda: _started(server), what="the server started")
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/")
    assert response.status_code == 200 and response.headers["date"]

    await wait_until(lambda: _ticked(ticks, 3), timeout=10, what="three ticks")
    assert ticks[2] - ticks[0] >= 2 * TICK_SECONDS * 0.95, "uvicorn's own loop wakes ten times a second"

    asked = time.monotonic()
    server.handle_exit(signal.SIGTERM, None)
    await wait_until(lambda: _stopped(thread), timeout=10, interval=0.01, what="the server stopped")
    assert time.monotonic() - asked < TICK_SECONDS / 2, "asked to stop, it does not wait for its next tick"


async def _started(server: Server) -> bool:
    return server.started


async def _ticked(ticks: list, n: int) -> bool:
    return len(ticks) >= n


async def _stopped(thread: threading.Thread) -> bool:
    return not thread.is_alive()


def test_a_service_keeps_an_idle_connection_open_longer_than_its_clients_keep_one_for_reuse():
    """uvicorn's default keep-alive (5 s) equals the pages' httpx pool's: a request sent on a pooled
    connection as the service closed it failed with RemoteProtocolError after 9 ms, and the page
    said "unavailable" (the suite's served system, which had its own uvicorn options, in two fresh
    clones' suites on a loaded machine). The services and the served system both run `config`."""
    assert config(None).timeout_keep_alive > POOL_KEEPALIVE_SECONDS
    assert config(None, timeout_keep_alive=1).timeout_keep_alive == 1, "an option given still wins"
