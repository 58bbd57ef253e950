"""The district's service providers: organisations, their MOUs with the kabupaten, their offerings."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sprpa_shared.auth.principal import Role
from web.ui import forms, names
from web.ui.backends import ApiError
from web.ui.render import ViewerDep, backends, form_of, language, page, problem_context, redirect, require
from web.ui.sessions import Viewer

router = APIRouter(include_in_schema=False)
MANAGERS = (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)


async def _list_page(request: Request, viewer: Viewer, cursor: str | None = None, *, status_code: int = 200,
                     **context) -> Response:
    api = backends(request)
    regency = viewer.principal.regency_codes[0] if viewer.principal.regency_codes else None
    listed = await api.get("providers", "/api/v1/organizations", token=viewer.access_token,
                           params={"regency_code": regency, "cursor": cursor, "limit": 50})
    return page(request, "directory.html", status_code=status_code, organisations=listed["items"],
                next_cursor=listed.get("next_cursor"), default_regency=regency, **{"values": {}, **context})


@router.get("/directory")
async def directory(request: Request, viewer: ViewerDep, cursor: str | None = None) -> Response:
    require(viewer, *MANAGERS)
    return await _list_page(request, viewer, cursor)


@router.post("/directory")
async def create_organisation(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *MANAGERS)
    form = await form_of(request, viewer)
    try:
        created = await backends(request).call("providers", "POST", "/api/v1/organizations",
                                               token=viewer.access_token, json=forms.organisation(form))
    except ApiError as error:
        return await _list_page(request, viewer, status_code=error.status, values=forms.typed(form),
                                **problem_context(error, language(request)))
    return redirect(f"/directory/{created['id']}?saved=1")


async def _organisation_page(request: Request, viewer: Viewer, organization_id: uuid.UUID, *, status_code: int = 200,
                             **context) -> Response:
    api, token = backends(request), viewer.access_token
    organisation, mous, offerings, categories = await asyncio.gather(
        api.get("providers", f"/api/v1/organizations/{organization_id}", token=token),
        api.get("providers", f"/api/v1/organizations/{organization_id}/mous", token=token),
        _offerings(request, viewer, organization_id),
        names.categories(api, token, language(request)),
    )
    place_names = await names.places(api, token, {organisation["regency_code"],
                                                  *(m["regency_code"] for m in mous["items"])})
    return page(request, "organisation.html", status_code=status_code, organisation=organisation, mous=mous["items"],
                offerings=offerings, categories=categories, category_names=dict(categories), place_names=place_names,
                **{"mou_values": {}, "offering_values": {}, **context})


async def _offerings(request: Request, viewer: Viewer, organization_id: uuid.UUID) -> list[dict]:
    """The organisation's offerings in each kabupaten it serves: those matchable now, and those the
    directory excludes (no active MOU, full...) with its reasons."""
    api, token = backends(request), viewer.access_token
    organisation = await api.get("providers", f"/api/v1/organizations/{organization_id}", token=token)
    found = await api.get("providers", "/api/v1/services", token=token,
                          params={"regency_code": organisation["regency_code"], "explain": "true"})
    rows = [{**offering, "reasons": []} for offering in found["items"]]
    rows += [{**excluded["offering"], "reasons": excluded["reasons"]} for excluded in found.get("excluded") or []]
    return [row for row in rows if row["organization_id"] == str(organization_id)]


@router.get("/directory/{organization_id}")
async def organisation(request: Request, viewer: ViewerDep, organization_id: uuid.UUID,
                       saved: bool = False) -> Response:
    require(viewer, *MANAGERS)
    return await _organisation_page(request, viewer, organization_id, saved=saved)


@router.post("/directory/{organization_id}/mous")
async def create_mou(request: Request, viewer: ViewerDep, organization_id: uuid.UUID) -> Response:
    require(viewer, *MANAGERS)
    form = await form_of(request, viewer)
    try:
        await backends(request).call("providers", "POST", f"/api/v1/organizations/{organization_id}/mous",
                                     token=viewer.access_token, json=forms.mou(form))
    except ApiError as error:
        return await _organisation_page(request, viewer, organization_id, status_code=error.status,
                                        mou_values=forms.typed(form), mou_form=True,
                                        **problem_context(error, language(request)))
    return redirect(f"/directory/{organization_id}?saved=1")


@router.post("/directory/{organization_id}/mous/{mou_id}/renew")
async def renew_mou(request: Request, viewer: ViewerDep, organization_id: uuid.UUID, mou_id: uuid.UUID) -> Response:
    """The MOU continued by a new one from the day after it ends, for the same kabupaten and services."""
    require(viewer, *MANAGERS)
    form = await form_of(request, viewer)
    body = {"number": forms.text(form, "number"), "signed_date": forms.text(form, "signed_date"),
            "valid_until": forms.text(form, "valid_until")}
    try:
        await backends(request).call("providers", "POST",
                                     f"/api/v1/organizations/{organization_id}/mous/{mou_id}/renew",
                                     token=viewer.access_token, json={k: v for k, v in body.items() if v})
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _organisation_page(request, viewer, organization_id, status_code=error.status,
                                        **problem_context(error, language(request)))
    return redirect(f"/directory/{organization_id}?saved=1")


@router.post("/directory/{organization_id}/mous/{mou_id}/terminate")
async def terminate_mou(request: Request, viewer: ViewerDep, organization_id: uuid.UUID,
                        mou_id: uuid.UUID) -> Response:
    """The kabupaten ends an MOU early, with the day and the reason: the engine offers nothing more
    under it, and an offer out under it is withdrawn when answered."""
    require(viewer, *MANAGERS)
    form = await form_of(request, viewer)
    body = {"terminated_on": forms.text(form, "terminated_on"), "reason": forms.text(form, "reason")}
    try:
        await backends(request).call("providers", "POST",
                                     f"/api/v1/organizations/{organization_id}/mous/{mou_id}/terminate",
                                     token=viewer.access_token, json=body)
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _organisation_page(request, viewer, organization_id, status_code=error.status,
                                        **problem_context(error, language(request)))
    return redirect(f"/directory/{organization_id}?saved=1")


@router.post("/directory/{organization_id}/services")
async def create_offering(request: Request, viewer: ViewerDep, organization_id: uuid.UUID) -> Response:
    require(viewer, *MANAGERS)
    form = await form_of(request, viewer)
    try:
        await backends(request).call("providers", "POST", "/api/v1/services", token=viewer.access_token,
                                     json=forms.offering(form, str(organization_id)))
    except ApiError as error:
        return await _organisation_page(request, viewer, organization_id, status_code=error.status,
                                        offering_values=forms.typed(form), offering_form=True,
                                        **problem_context(error, language(request)))
    return redirect(f"/directory/{organization_id}?saved=1")


async def _own_services_page(request: Request, viewer: Viewer, *, status_code: int = 200, **context) -> Response:
    organization_id = viewer.principal.organization_id
    api, token = backends(request), viewer.access_token
    organisation, offerings, categories = await asyncio.gather(
        api.get("providers", f"/api/v1/organizations/{organization_id}", token=token),
        _offerings(request, viewer, organization_id), names.categories(api, token, language(request)))
    return page(request, "own_services.html", status_code=status_code, organisation=organisation,
                offerings=offerings, category_names=dict(categories), **context)


@router.get("/services")
async def own_services(request: Request, viewer: ViewerDep, saved: bool = False) -> Response:
    """Provider staff keep their own services' capacity current: the engine offers a need only where
    a place is free."""
    require(viewer, Role.PROVIDER_STAFF)
    return await _own_services_page(request, viewer, saved=saved)


@router.post("/services/{offering_id}/capacity")
async def set_capacity(request: Request, viewer: ViewerDep, offering_id: uuid.UUID) -> Response:
    require(viewer, Role.PROVIDER_STAFF)
    form = await form_of(request, viewer)
    capacity = forms.text(form, "capacity")
    try:
        await backends(request).call(
            "providers", "PUT", f"/api/v1/services/{offering_id}/capacity", token=viewer.access_token,
            json={"capacity": int(capacity) if capacity.isdigit() else capacity},
            headers=forms.if_match(form))
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _own_services_page(request, viewer, status_code=error.status,
                                        **problem_context(error, language(request)))
    return redirect("/services?saved=true")
