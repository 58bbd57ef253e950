"""Names for the codes pages show: places (official, never change between releases of the region
data, so kept for the process's life) and organisations and service categories (kept a few minutes)."""

from __future__ import annotations

import asyncio
import time

from web.ui.backends import ApiError, Backends

_PLACES: dict[str, str] = {}
_ORGANISATIONS: dict[str, tuple[float, str]] = {}
_categories: tuple[float, list[dict]] | None = None
FRESH_SECONDS = 300.0


async def places(backends: Backends, token: str, codes: set[str | None]) -> dict[str, str]:
    missing = sorted(code for code in codes if code and code not in _PLACES)

    async def fetch(code: str) -> None:
        try:
            region = await backends.get("registry", f"/api/v1/regions/{code}", token=token)
        except ApiError:
            return
        _PLACES[code] = region["name"]
        for parent in region.get("parents", []):
            _PLACES.setdefault(parent["code"], parent["name"])

    await asyncio.gather(*(fetch(code) for code in missing[:50]))
    return {code: _PLACES[code] for code in codes if code in _PLACES}


async def organisations(backends: Backends, token: str, ids: set[str | None]) -> dict[str, str]:
    now = time.monotonic()
    missing = sorted(i for i in ids if i and (i not in _ORGANISATIONS or now - _ORGANISATIONS[i][0] > FRESH_SECONDS))

    async def fetch(organization_id: str) -> None:
        try:
            organisation = await backends.get("providers", f"/api/v1/organizations/{organization_id}", token=token)
        except ApiError:
            return
        _ORGANISATIONS[organization_id] = (now, organisation["name"])

    await asyncio.gather(*(fetch(i) for i in missing[:50]))
    return {i: _ORGANISATIONS[i][1] for i in ids if i in _ORGANISATIONS}


async def categories(backends: Backends, token: str, lang: str) -> list[tuple[str, str]]:
    """The remediation service catalogue as (code, label) in the page's language."""
    global _categories
    if _categories is None or time.monotonic() - _categories[0] > FRESH_SECONDS:
        _categories = (time.monotonic(), await backends.get("providers", "/api/v1/service-categories", token=token))
    return [(c["code"], c["label_id"] if lang == "id" else c["label_en"]) for c in _categories[1]["items"]]
