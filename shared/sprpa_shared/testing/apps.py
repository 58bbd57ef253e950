"""Run a service app in the test's event loop, with its lifespan, and talk to it over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
from fastapi import FastAPI


@asynccontextmanager
async def running(app: FastAPI, *, ready_timeout: float = 15.0) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app (engine, NATS, relay, consumers), wait until its bus is provisioned, yield a client."""
    async with app.router.lifespan_context(app):
        await app.state.bus.wait_ready(ready_timeout)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{app.state.settings.service}") as client:
            yield client


@asynccontextmanager
async def database(app: FastAPI) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the app's database, for asserting on what it wrote."""
    connection = await asyncpg.connect(app.state.settings.asyncpg_url)
    try:
        yield connection
    finally:
        await connection.close()
