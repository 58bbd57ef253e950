"""The desa's contact person a provider calls to reach a family it accepted (issue 24, point 4)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sprpa_shared.auth.principal import Role
from web.ui import forms, names
from web.ui.backends import ApiError
from web.ui.render import ViewerDep, backends, form_of, page, redirect, require

router = APIRouter(include_in_schema=False)


CONTACT_SETTERS = (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN, Role.VILLAGE_CADRE)


@router.get("/contacts")
async def contacts(request: Request, viewer: ViewerDep, village_code: str | None = None,
                   saved: str | None = None) -> Response:
    """Who providers call in a desa to reach the families referred (point 4 of issue 24): the
    district names a cadre or facilitator per desa; a cadre may name it for their own desa."""
    require(viewer, *CONTACT_SETTERS)
    village_code = viewer.principal.village_code or village_code
    current = None
    if village_code:
        try:
            current = await backends(request).get("registry", f"/api/v1/villages/{village_code}/contact",
                                                  token=viewer.access_token)
        except ApiError as error:
            if error.status != 404:
                raise
    place_names = await names.places(backends(request), viewer.access_token, {village_code})
    return page(request, "contacts.html", village_code=village_code, current=current, saved=saved,
                place_names=place_names, values=current or {"village_code": village_code})


@router.post("/contacts")
async def set_contact(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *CONTACT_SETTERS)
    form = await form_of(request, viewer)
    village_code = viewer.principal.village_code or forms.text(form, "village_code") or ""
    await backends(request).call("registry", "PUT", f"/api/v1/villages/{village_code}/contact",
                                 token=viewer.access_token,
                                 json={name: forms.text(form, name) for name in ("function", "name", "phone")})
    return redirect(f"/contacts?village_code={village_code}&saved=contact_saved")
