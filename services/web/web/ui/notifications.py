"""The notification centre: the list behind the bell (one tap opens what a notification is about
and marks it read), and a person's channels and quiet hours."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sprpa_shared.auth.principal import Role
from web.ui.backends import ApiError
from web.ui.render import NOTIFIED, ViewerDep, backends, form_of, page, problem_context, redirect, require

router = APIRouter(include_in_schema=False)


@router.get("/notifications")
async def notifications(request: Request, viewer: ViewerDep, cursor: str | None = None) -> Response:
    require(viewer, *NOTIFIED)
    listed = await backends(request).get("notify", "/api/v1/notifications", token=viewer.access_token,
                                         params={"cursor": cursor, "limit": 50})
    return page(request, "notifications.html", rows=listed["items"], next_cursor=listed.get("next_cursor"))


@router.get("/notifications/{notification_id}/open")
async def open_one(request: Request, viewer: ViewerDep, notification_id: uuid.UUID, to: str = "/") -> Response:
    """Mark it read and go where it points (a path of these pages, never another site)."""
    require(viewer, *NOTIFIED)
    await backends(request).call("notify", "POST", f"/api/v1/notifications/{notification_id}/read",
                                 token=viewer.access_token)
    target = urlparse(to)
    return redirect(to if to.startswith("/") and not to.startswith("//") and not target.netloc else "/")


@router.post("/notifications/read")
async def read_all(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *NOTIFIED)
    await form_of(request, viewer)
    await backends(request).call("notify", "POST", "/api/v1/notifications/read", token=viewer.access_token)
    return redirect("/notifications")


@router.get("/notifications/deliveries")
async def deliveries(request: Request, viewer: ViewerDep, status: str | None = None,
                     cursor: str | None = None) -> Response:
    """The district's deliveries (failed ones first to look at): who of which role was not reached."""
    require(viewer, Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
    listed = await backends(request).get("notify", "/api/v1/notifications/deliveries", token=viewer.access_token,
                                         params={"status": status, "cursor": cursor, "limit": 50})
    return page(request, "deliveries.html", rows=listed["items"], next_cursor=listed.get("next_cursor"),
                status=status)


@router.get("/notifications/settings")
async def settings(request: Request, viewer: ViewerDep, saved: bool = False) -> Response:
    require(viewer, *NOTIFIED)
    current = await backends(request).get("notify", "/api/v1/notifications/preferences", token=viewer.access_token)
    return page(request, "notification_settings.html", values=current, saved=saved)


@router.post("/notifications/settings")
async def save_settings(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *NOTIFIED)
    form = await form_of(request, viewer)
    values = {
        "language": str(form.get("language") or "id"),
        "email": str(form.get("email") or "").strip() or None,
        "email_enabled": form.get("email_enabled") == "on",
        "phone": re.sub(r"[\s-]", "", str(form.get("phone") or "")) or None,
        "whatsapp_enabled": form.get("whatsapp_enabled") == "on",
        "sms_enabled": form.get("sms_enabled") == "on",
        "digest": "daily" if form.get("digest") == "daily" else "immediate",
        "digest_at": str(form.get("digest_at") or "") or "07:00",
        "quiet_from": str(form.get("quiet_from") or "") or None,
        "quiet_to": str(form.get("quiet_to") or "") or None,
        "opted_out": form.get("opted_out") == "on",
    }
    try:
        await backends(request).call("notify", "PUT", "/api/v1/notifications/preferences",
                                     token=viewer.access_token, json=values)
    except ApiError as error:
        if error.status >= 500:
            raise
        return page(request, "notification_settings.html", status_code=error.status, values=values,
                    **problem_context(error, request.cookies.get("sprpa_lang", "id")))
    return redirect("/notifications/settings?saved=1")
