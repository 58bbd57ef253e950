"""Calls from the pages to the five services, with the signed-in user's token.

The pages hold no business rules: every decision (who may see what, what is valid, what a child's
classification is) is the service's, and its RFC 9457 problem comes back as an `ApiError`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from sprpa_shared.observability import get_logger
from web.settings import WebSettings

log = get_logger(__name__)

SERVICES = ("registry", "providers", "referral", "reports", "notify")
# How long an idle connection to a service is kept for reuse: less than the services keep it open
# (sprpa_shared.ops.server.KEEP_ALIVE_SECONDS), so none is reused as the service closes it.
POOL_KEEPALIVE_SECONDS = 5.0


@dataclass
class ApiError(Exception):
    """A service said no (a problem document), or could not be reached (status 503, no document)."""

    status: int
    title: str
    detail: str = ""
    errors: list[dict] = field(default_factory=list)

    def field_errors(self) -> dict[str, str]:
        """The service's message for each field it named, by its dotted name (`work.hours_per_day`)."""
        messages: dict[str, str] = {}
        for error in self.errors:
            name = str(error.get("field") or "")
            if name and name not in messages:
                messages[name] = str(error.get("message") or "")
        return messages


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str
    disposition: str


class Backends:
    """One HTTP client for all services; `call` returns the JSON body or raises `ApiError`."""

    def __init__(self, settings: WebSettings) -> None:
        self._urls = {name: getattr(settings, f"{name}_url").rstrip("/") for name in SERVICES}
        self._client = httpx.AsyncClient(timeout=settings.backend_timeout_seconds,
                                         limits=httpx.Limits(max_connections=50, max_keepalive_connections=20,
                                                             keepalive_expiry=POOL_KEEPALIVE_SECONDS))

    async def close(self) -> None:
        await self._client.aclose()

    async def _send(self, service: str, method: str, path: str, *, token: str, params: dict | None = None,
                    json: Any = None, files: dict | None = None, data: dict | None = None,
                    headers: dict | None = None, timeout: float | None = None) -> httpx.Response:
        query = {key: value for key, value in (params or {}).items() if value not in (None, "")}
        started = time.monotonic()
        try:
            response = await self._client.request(
                method, self._urls[service] + path, params=query, json=json, files=files, data=data,
                headers={"Authorization": f"Bearer {token}", **(headers or {})},
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)
        except httpx.HTTPError as exc:
            # How it failed and after how long (a timeout, a refused or a dropped connection): a
            # page that said "unavailable" in a test on a loaded machine left nothing else to go by.
            log.warning("a service could not be reached", backend=service, method=method,
                        error=type(exc).__name__, seconds=round(time.monotonic() - started, 3))
            raise ApiError(503, "service unreachable", f"{service}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _problem(response)
        return response

    async def call(self, service: str, method: str, path: str, *, token: str, **kwargs) -> Any:
        response = await self._send(service, method, path, token=token, **kwargs)
        return response.json() if response.content else None

    async def get(self, service: str, path: str, *, token: str, params: dict | None = None,
                  timeout: float | None = None) -> Any:
        return await self.call(service, "GET", path, token=token, params=params, timeout=timeout)

    async def download(self, service: str, path: str, *, token: str, params: dict | None = None) -> Download:
        response = await self._send(service, "GET", path, token=token, params=params)
        return Download(response.content, response.headers.get("content-type", "application/octet-stream"),
                        response.headers.get("content-disposition", "attachment"))


def _problem(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return ApiError(response.status_code, str(body.get("title") or response.reason_phrase),
                    str(body.get("detail") or ""), list(body.get("errors") or []))
