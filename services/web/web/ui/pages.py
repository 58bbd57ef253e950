"""Signing in and out, the language switch, each role's home, and the place pickers' data."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from sprpa_shared.auth.principal import Role
from sprpa_shared.errors import TooManyRequests, Unauthorized
from web.issuer.router import sign_in
from web.ui.backends import ApiError
from web.ui.render import LANG_COOKIE, ViewerDep, backends, page, redirect
from web.ui.sessions import COOKIE, close_session, open_session, wall_clock

router = APIRouter(include_in_schema=False)

HOME = {
    Role.VILLAGE_CADRE: "/children",
    Role.DISTRICT_OPERATOR: "/children",
    Role.NATIONAL_ADMIN: "/dashboard",
    Role.PROVIDER_STAFF: "/inbox",
    Role.ANALYST: "/dashboard",
    Role.INTEGRATION: "/dashboard",
}


def _local(path: str | None, fallback: str = "/") -> str:
    """Only our own paths are followed after sign-in or a language switch (no open redirect)."""
    if not path:
        return fallback
    parts = urlsplit(path)
    # browsers read a backslash as a slash, so "/\\host" would leave the site like "//host"
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return fallback
    return path


def _secure(request: Request) -> bool:
    return request.app.state.settings.environment == "production"


@router.get("/")
async def home(viewer: ViewerDep) -> Response:
    return redirect(HOME[viewer.role])


LOGIN_CSRF = "sprpa_login_csrf"


def _login_page(request: Request, *, status_code: int = 200, **context) -> Response:
    """The sign-in form with a fresh CSRF token, also set as a cookie only this form's post carries
    back (double submit): another site's form cannot sign the browser in to an account it chose."""
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", status_code=status_code, login_csrf=token, **context)
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", secure=_secure(request),
                        max_age=3600, path="/login")
    return response


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, next=_local(next, ""))


@router.post("/login")
async def login(request: Request, username: Annotated[str, Form(max_length=200)],
                password: Annotated[str, Form(max_length=500)], next: Annotated[str, Form()] = "",
                csrf: Annotated[str, Form(max_length=200)] = "",
                totp: Annotated[str, Form(max_length=10)] = "") -> Response:
    settings = request.app.state.settings
    cookie = request.cookies.get(LOGIN_CSRF, "")
    if not cookie or not secrets.compare_digest(csrf, cookie):
        return _login_page(request, status_code=400, failure="bad_form", username=username,
                           next=_local(next, ""))
    now = wall_clock()
    async with request.app.state.sessions() as session:
        try:
            principal = await sign_in(request, session, now, username=username, password=password, code=totp,
                                      page=True)
        except (Unauthorized, TooManyRequests) as refused:
            key = "sign_in_throttled" if isinstance(refused, TooManyRequests) else "sign_in_failed"
            return _login_page(request, status_code=refused.status, failure=key, username=username,
                               next=_local(next, ""))
        token = await open_session(session, principal, now=now, max_age=timedelta(hours=settings.session_max_hours))
        await session.commit()
    response = redirect(_local(next, HOME[principal.role]))
    response.delete_cookie(LOGIN_CSRF, path="/login")
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=_secure(request),
                        max_age=settings.session_max_hours * 3600, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        async with request.app.state.sessions() as session:
            await close_session(session, token)
            await session.commit()
    response = redirect("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/lang/{code}")
async def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    response = redirect(_local(next))
    if code in ("id", "en"):
        response.set_cookie(LANG_COOKIE, code, samesite="lax", secure=_secure(request), max_age=365 * 24 * 3600,
                            path="/")
    return response


@router.get("/places/search")
async def place_search(request: Request, viewer: ViewerDep, q: str = "", level: str = "village",
                       anywhere: bool = False) -> Response:
    """Official places named like what the person is typing (`kesil` -> Kesilir, Wuluhan, Jember),
    nearest first, inside the person's own area, for the type-ahead pickers; `anywhere`: in all of
    Indonesia (the kabupaten a family moved to). The official list is public either way."""
    levels = ("regency", "district", "village") if level == "any" else (level,)
    if len(q.strip()) < 3 or not set(levels) <= {"province", "regency", "district", "village"}:
        return JSONResponse([])
    within = None if anywhere else viewer.principal.village_code or (
        viewer.principal.regency_codes[0] if len(viewer.principal.regency_codes) == 1 else None)
    try:
        found = await asyncio.gather(*(backends(request).get(
            "registry", "/api/v1/regions/resolve", token=viewer.access_token,
            params={"name": q.strip()[:100], "level": one, "within": within, "limit": 8}) for one in levels))
    except ApiError as error:
        return JSONResponse({"error": error.title}, status_code=error.status)
    # `any` (a report's place): the kabupaten first, then kecamatan, then desa named so
    return JSONResponse([{"code": c["code"], "label": ", ".join([c["name"], *c["parents"][:2]])}
                         for answer in found for c in answer["candidates"]][:8])


@router.get("/places")
async def places(request: Request, viewer: ViewerDep, parent: str | None = None) -> Response:
    """The places under a parent (the provinces without one), for the cascading pickers' script."""
    try:
        regions = await backends(request).get("registry", "/api/v1/regions", token=viewer.access_token,
                                              params={"parent": parent})
    except ApiError as error:
        return JSONResponse({"error": error.title}, status_code=error.status)
    return JSONResponse([{"code": r["code"], "name": r["name"]} for r in regions["items"]])
