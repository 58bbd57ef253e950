"""The pages for cadres, district operators, provider staff and analysts: server-rendered, thin.

They keep nothing but sessions; every figure and every decision comes from the services,
called with the signed-in user's token.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from sprpa_shared.observability import get_logger
from web.ui import (
    accounts,
    children,
    contacts,
    directory,
    imports,
    inbox,
    notifications,
    pages,
    programme,
    reporting,
    transfers,
)
from web.ui.app.router import router as app_router
from web.ui.backends import ApiError, Backends
from web.ui.headers import SecurityHeadersMiddleware
from web.ui.render import HERE, BadForm, EnrolmentRequired, LoginRequired, NotAllowed, page, redirect

log = get_logger(__name__)
ROUTERS = (pages.router, children.router, directory.router, imports.router, reporting.router, inbox.router,
           notifications.router, accounts.router, transfers.router, contacts.router, programme.router, app_router)


def install(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(SecurityHeadersMiddleware, production=app.state.settings.environment == "production")
    app.state.backends = Backends(app.state.settings)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(NotAllowed, _not_allowed)
    app.add_exception_handler(EnrolmentRequired, _enrol_first)
    app.add_exception_handler(BadForm, _bad_form)
    app.add_exception_handler(ApiError, _service_refused)


async def close_backends(app: FastAPI) -> None:
    """A job for the app's lifetime: closes the pages' HTTP client when the app stops."""
    try:
        await asyncio.Event().wait()
    finally:
        await app.state.backends.close()


async def _login_required(request: Request, exc: LoginRequired) -> Response:
    return redirect(f"/login?next={quote(exc.next_path, safe='')}")


async def _enrol_first(request: Request, exc: EnrolmentRequired) -> Response:
    return redirect("/account/security")


async def _not_allowed(request: Request, exc: NotAllowed) -> Response:
    return page(request, "error.html", status_code=403, message="not_allowed")


async def _bad_form(request: Request, exc: BadForm) -> Response:
    return page(request, "error.html", status_code=400, message="bad_form")


async def _service_refused(request: Request, exc: ApiError) -> Response:
    """A call the page needed failed outside a form: the viewer sees why in plain words."""
    if exc.status == 401:
        return redirect("/login")
    message = {403: "not_allowed", 404: "not_found", 409: "conflict", 412: "conflict"}.get(exc.status)
    if message is None:
        message = "unavailable" if exc.status >= 500 else "invalid"
    if exc.status >= 500:
        log.warning("a page's service call failed", status=exc.status, title=exc.title)
    return page(request, "error.html", status_code=exc.status if exc.status < 500 else 503, message=message,
                detail=exc.detail if exc.status in (400, 409, 422) else None)
