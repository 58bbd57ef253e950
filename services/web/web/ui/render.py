"""What every page handler shares: the templates, the signed-in viewer, the language, form helpers."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from sprpa_shared.auth.principal import Role
from web.ui import i18n
from web.ui.backends import ApiError, Backends
from web.ui.sessions import COOKIE, Viewer, viewer_for, wall_clock

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
LANG_COOKIE = "sprpa_lang"


class LoginRequired(Exception):
    """No live session: the handler turns this into a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class EnrolmentRequired(Exception):
    """The kabupaten requires a second factor this person has not set up: that page first."""


class NotAllowed(Exception):
    """The page is not for this role (the services would refuse its calls anyway)."""


class BadForm(Exception):
    """A form that did not come from our page (missing or wrong CSRF token)."""


def language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "id")
    return lang if lang in i18n.LANGUAGES else "id"


async def _viewer(request: Request) -> Viewer:
    settings = request.app.state.settings
    async with request.app.state.sessions() as session:
        viewer = await viewer_for(session, request.cookies.get(COOKIE), now=wall_clock(),
                                  idle=timedelta(minutes=settings.session_idle_minutes), settings=settings)
        await session.commit()
    if viewer is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if viewer.must_enrol and not request.url.path.startswith("/account/security"):
        raise EnrolmentRequired()
    request.state.viewer = viewer
    if request.method == "GET" and viewer.role in NOTIFIED:
        request.state.unread = await _unread(request, viewer)
    return viewer


NOTIFIED = (Role.PROVIDER_STAFF, Role.DISTRICT_OPERATOR, Role.VILLAGE_CADRE)
BELL_TIMEOUT_SECONDS = 1.0  # a slow notify service costs a page at most this, and the page shows no count


async def _unread(request: Request, viewer: Viewer) -> int | None:
    """The bell's count; none when the notify service cannot say (the page works without it)."""
    try:
        answer = await backends(request).get("notify", "/api/v1/notifications/unread", token=viewer.access_token,
                                             timeout=BELL_TIMEOUT_SECONDS)
    except ApiError:
        return None
    return answer["unread"]


ViewerDep = Annotated[Viewer, Depends(_viewer)]


def require(viewer: Viewer, *roles: Role) -> None:
    if viewer.role not in roles:
        raise NotAllowed()


def backends(request: Request) -> Backends:
    return request.app.state.backends


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    viewer = getattr(request.state, "viewer", None)
    return templates.TemplateResponse(request, template, {
        "t": i18n.translator(lang), "lang": lang, "viewer": viewer, "role": viewer.role.value if viewer else None,
        "unread": getattr(request.state, "unread", None),
        "path": request.url.path, "full_path": quote(str(request.url.path) + (
            f"?{request.url.query}" if request.url.query else ""), safe=""),
        "form_key": secrets.token_urlsafe(16), "today": request.app.state.clock.now().date().isoformat(),
        "offline_days": request.app.state.settings.offline_days,
        **context}, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def form_of(request: Request, viewer: Viewer) -> FormData:
    """The posted form, after checking it carries this session's CSRF token."""
    form = await request.form()
    if not secrets.compare_digest(str(form.get("csrf", "")), viewer.csrf):
        raise BadForm()
    return form


def problem_context(error: ApiError, lang: str, fields: dict[str, str] | None = None) -> dict:
    """The service's problem, for the page: a plain-language summary and each message beside its field.
    `fields` maps the service's field names to the form's where they differ."""
    by_field: dict[str, str] = {}
    for name, message in error.field_errors().items():
        form_name = (fields or {}).get(name, name)
        by_field.setdefault(form_name, i18n.field_message(message, lang))
    return {"problem": i18n.problem_summary(error, lang), "field_errors": by_field}
