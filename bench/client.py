"""The benches' HTTP client: one bare HTTP/1.1 keep-alive connection per concurrent request.

The bench runs on the same two cores as the stack it measures, and its client's time is in every
latency it reads. httpx spent about 1 ms of CPU a request here (0.08 ms this way) and added 0.75
ms to each answer's latency (GET /healthz: p50 1.03 ms against 0.28), so the load goes through
this, and httpx only prepares the data."""

from __future__ import annotations

import asyncio
import json


class KeepAlive:
    """One HTTP/1.1 connection with a fixed Authorization header."""

    def __init__(self, host: str, port: int, authorization: str) -> None:
        self.host, self.port = host, port
        self.headers = f"Host: {host}:{port}\r\nAuthorization: {authorization}\r\n".encode()
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> int:
        """The response's status code (its body is read and dropped)."""
        return await self._request(f"GET {path} HTTP/1.1\r\n".encode() + self.headers + b"\r\n")

    async def post(self, path: str, body: dict) -> int:
        """POST `body` as JSON: the response's status code (its body is read and dropped)."""
        content = json.dumps(body).encode()
        return await self._request(f"POST {path} HTTP/1.1\r\n".encode() + self.headers +
                                   f"Content-Type: application/json\r\nContent-Length: {len(content)}\r\n\r\n".encode()
                                   + content)

    async def _request(self, request: bytes) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(request)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        status = int(head.split(" ", 2)[1])
        length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0]) if "content-length:" in head else 0
        await reader.readexactly(length)
        if "connection: close" in head:
            await self.close()
        return status

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


FAILED = (OSError, asyncio.IncompleteReadError, ValueError, IndexError)  # what a request may raise: not answered


class Pool:
    """`size` keep-alive connections; a request waits for a free one (at most `size` in flight)."""

    def __init__(self, host: str, port: int, authorization: str, size: int) -> None:
        self._free: asyncio.Queue[KeepAlive] = asyncio.Queue()
        self._all = [KeepAlive(host, port, authorization) for _ in range(size)]
        for connection in self._all:
            self._free.put_nowait(connection)

    async def post(self, path: str, body: dict, timeout: float = 120) -> int | str:
        """The status code, or the name of the error that left the request unanswered."""
        connection = await self._free.get()
        try:
            return await asyncio.wait_for(connection.post(path, body), timeout)
        except FAILED as exc:  # TimeoutError among them
            await connection.close()
            return type(exc).__name__
        finally:
            self._free.put_nowait(connection)

    async def close(self) -> None:
        for connection in self._all:
            await connection.close()
