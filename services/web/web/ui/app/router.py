"""`/manifest.webmanifest`, `/icons/{size}.png`, `/sw.js` and `/offline`: what makes the pages an
app a cadre installs, which opens her desa's pages without a signal once she has seen them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from web.ui.app.icons import SIZES, png
from web.ui.i18n import text
from web.ui.render import HERE, language, page

router = APIRouter(include_in_schema=False)
SERVICE_WORKER = (HERE / "static" / "sw.js").read_text()


@router.get("/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    lang = language(request)
    return JSONResponse({
        "name": text("app_name", lang), "short_name": text("app_short", lang), "lang": lang,
        "start_url": "/children", "scope": "/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#0b5cad",
        "icons": [{"src": f"/icons/{size}.png", "sizes": f"{size}x{size}", "type": "image/png",
                   "purpose": "any maskable"} for size in SIZES],
    }, media_type="application/manifest+json")


@router.get("/icons/{size}.png")
async def icon(size: int) -> Response:
    if size not in SIZES:
        return Response(status_code=404)
    return Response(png(size), media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/sw.js")
async def service_worker() -> Response:
    # Served from the root so that it may look after every page; never cached by the browser, so a
    # new version reaches the phones on their next visit.
    return Response(SERVICE_WORKER, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/offline")
async def offline(request: Request) -> Response:
    """What the app shows for a page it has not kept, when there is no signal."""
    return page(request, "offline.html")
