"""Run a service app in the test's event loop, with its lifespan, and talk to it over ASGI."""

from __future__ import annotations

import socket
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


def bound_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1, for a test's server (`server.serve(sockets=[it])`):
    a free port chosen, then bound a moment later, can be taken in between by another test's
    connection (the OS hands the same range out to outgoing connections)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock
