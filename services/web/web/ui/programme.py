"""The programme around the cases (issue 26): a desa's activities and their attendance (recorded by
a cadre from the phone), the facilitator's caseload, and for the district the desa's institutions,
roadmaps, remediation costs and facilitators' caseloads. Every figure and rule is the registry's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import col, select

from sprpa_contracts.labels import VOCABULARY
from sprpa_contracts.vocabulary import AGE_BANDS, SEXES
from sprpa_shared.auth.principal import Role
from web.issuer.models import User
from web.ui import forms, names
from web.ui.backends import ApiError
from web.ui.render import ViewerDep, backends, form_of, language, page, problem_context, redirect, require
from web.ui.sessions import Viewer

router = APIRouter(include_in_schema=False)
OPERATORS = (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
PEOPLE = (*OPERATORS, Role.VILLAGE_CADRE)
RECORDED_MILESTONES = ("roadmap_workshop", "rpjmdes_integrated")


def _once(form) -> dict[str, str] | None:
    """The form's key as the create's Idempotency-Key: a form sent twice (a double tap) creates once."""
    key = forms.text(form, "form_key")
    return {"Idempotency-Key": key} if key else None


async def _create(request: Request, viewer: Viewer, form, path: str, body: dict,
                  again: Callable[..., Awaitable[Response]]) -> dict | Response:
    """POST `body` (empty fields left out) to the registry once per form; when the service refuses
    the input (409, 422), the page again (`again`) with what was typed and the service's messages."""
    try:
        return await backends(request).call("registry", "POST", path, token=viewer.access_token,
                                            json={k: v for k, v in body.items() if v is not None},
                                            headers=_once(form))
    except ApiError as error:
        if error.status not in (409, 422):
            raise
        return await again(status_code=error.status, values=forms.typed(form),
                           **problem_context(error, language(request)))


def _village(viewer: Viewer, asked: str | None) -> str | None:
    return viewer.principal.village_code or asked or None


def _regency(viewer: Viewer) -> str | None:
    return viewer.principal.regency_codes[0] if viewer.principal.regency_codes else None


@router.get("/programme")
async def programme(request: Request, viewer: ViewerDep) -> Response:
    """Where the programme's pages are, for the viewer's role."""
    require(viewer, *PEOPLE)
    return page(request, "programme.html")


# Activities and their sessions ------------------------------------------------------------------

async def _activities_page(request: Request, viewer: Viewer, village_code: str | None, *, status_code: int = 200,
                           **context) -> Response:
    api, token = backends(request), viewer.access_token
    listed = await api.get("registry", "/api/v1/activities", token=token,
                           params={"village_code": village_code, "limit": 100})
    institutions = await api.get("registry", f"/api/v1/villages/{village_code}/institutions",
                                 token=token) if village_code else {"items": []}
    place_names = await names.places(api, token, {a["village_code"] for a in listed["items"]} | {village_code})
    return page(request, "activities.html", status_code=status_code, activities=listed["items"],
                institutions=institutions["items"], village_code=village_code, place_names=place_names,
                **{"values": {"village_code": village_code or ""}, **context})


@router.get("/activities")
async def activities(request: Request, viewer: ViewerDep, village_code: str | None = None) -> Response:
    require(viewer, *PEOPLE)
    return await _activities_page(request, viewer, _village(viewer, village_code))


@router.post("/activities")
async def create_activity(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *PEOPLE)
    form = await form_of(request, viewer)
    village_code = _village(viewer, forms.text(form, "village_code"))
    body = {"village_code": village_code, "kind": forms.text(form, "kind"), "topic": forms.text(form, "topic"),
            "recurring": forms.flag(form, "recurring"),
            "organiser_institution_id": forms.text(form, "organiser_institution_id")}
    made = await _create(request, viewer, form, "/api/v1/activities", body,
                         lambda **context: _activities_page(request, viewer, village_code, **context))
    return made if isinstance(made, Response) else redirect(f"/activities/{made['id']}")


async def _activity_page(request: Request, viewer: Viewer, activity_id: uuid.UUID, *, status_code: int = 200,
                         **context) -> Response:
    api, token = backends(request), viewer.access_token
    activity, sessions = await asyncio.gather(
        api.get("registry", f"/api/v1/activities/{activity_id}", token=token),
        api.get("registry", f"/api/v1/activities/{activity_id}/sessions", token=token))
    register = await api.get("registry", "/api/v1/children", token=token,
                             params={"village_code": activity["village_code"], "limit": 200})
    children = {c["id"]: c["full_name"] for c in register["items"]}
    place_names = await names.places(api, token, {activity["village_code"]})
    bands = [(sex, band) for sex in SEXES for band in AGE_BANDS]
    return page(request, "activity.html", status_code=status_code, activity=activity, sessions=sessions["items"],
                children=children, place_names=place_names, bands=bands,
                one_off_done=not activity["recurring"] and bool(sessions["items"]),
                **{"values": {"held_on": request.app.state.clock.now().date().isoformat()}, **context})


@router.get("/activities/{activity_id}")
async def activity(request: Request, viewer: ViewerDep, activity_id: uuid.UUID, saved: str | None = None) -> Response:
    require(viewer, *PEOPLE)
    return await _activity_page(request, viewer, activity_id, saved=saved)


def _anonymous(form) -> list[dict]:
    counts = []
    for sex in SEXES:
        for band in AGE_BANDS:
            typed = forms.text(form, f"anonymous.{sex}.{band}")
            if typed and typed != "0":
                counts.append({"sex": sex, "age_band": band, "count": typed})
    return counts


@router.post("/activities/{activity_id}/sessions")
async def record_session(request: Request, viewer: ViewerDep, activity_id: uuid.UUID) -> Response:
    """One session's attendance: anonymous participants counted by sex and age band, and the registered
    children of the desa ticked from its register."""
    require(viewer, *PEOPLE)
    form = await form_of(request, viewer)
    made = await _create(request, viewer, form, f"/api/v1/activities/{activity_id}/sessions",
                         {"held_on": forms.text(form, "held_on"), "anonymous": _anonymous(form),
                          "child_ids": forms.many(form, "child_ids")},
                         lambda **context: _activity_page(request, viewer, activity_id, **context))
    return made if isinstance(made, Response) else redirect(f"/activities/{activity_id}?saved=session_saved")


# A facilitator's caseload, and the district's caseloads ---------------------------------------------

@router.get("/caseload")
async def caseload(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, Role.VILLAGE_CADRE)
    mine = await backends(request).get("registry", "/api/v1/caseload", token=viewer.access_token)
    return page(request, "caseload.html", caseload=mine)


async def _village_accounts(request: Request, village_code: str | None = None,
                            regency_code: str | None = None) -> dict[str, str]:
    """The web's own village accounts (cadres and facilitators), by id: who a case may be given to."""
    query = select(User).where(User.role == Role.VILLAGE_CADRE.value)
    if village_code:
        query = query.where(User.village_code == village_code)
    if regency_code:
        query = query.where(col(User.village_code).startswith(regency_code + "."))
    async with request.app.state.sessions() as session:
        users = (await session.exec(query.order_by(col(User.username)))).all()
    return {str(user.id): user.username for user in users}


@router.get("/caseloads")
async def caseloads(request: Request, viewer: ViewerDep, regency_code: str | None = None) -> Response:
    require(viewer, *OPERATORS)
    regency_code = regency_code or _regency(viewer)
    loads = await backends(request).get("registry", "/api/v1/caseloads", token=viewer.access_token,
                                        params={"regency_code": regency_code})
    usernames = await _village_accounts(request, regency_code=regency_code)
    place_names = await names.places(backends(request), viewer.access_token,
                                     {row["village_code"] for row in loads["items"]})
    return page(request, "caseloads.html", loads=loads, usernames=usernames, place_names=place_names)


@router.post("/children/{child_id}/facilitator")
async def assign(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    require(viewer, *OPERATORS)
    form = await form_of(request, viewer)
    await backends(request).call("registry", "PUT", f"/api/v1/children/{child_id}/facilitator",
                                 token=viewer.access_token,
                                 json={"facilitator_id": forms.text(form, "facilitator_id"),
                                       "reason": forms.text(form, "reason")})
    return redirect(f"/children/{child_id}?saved=facilitator_saved")


async def facilitator_of(request: Request, viewer: Viewer, child: dict) -> dict | None:
    """For the child's page: the case's facilitator, its history and whom it may go to (operators)."""
    if viewer.role not in PEOPLE:
        return None
    assigned = await backends(request).get("registry", f"/api/v1/children/{child['id']}/facilitator",
                                           token=viewer.access_token)
    accounts = await _village_accounts(request, village_code=child["village_code"])
    return {**assigned, "accounts": accounts, "can_assign": viewer.role in OPERATORS}


# A desa's institutions ---------------------------------------------------------------------------------

async def _institutions_page(request: Request, viewer: Viewer, village_code: str | None, *, status_code: int = 200,
                             **context) -> Response:
    api, token = backends(request), viewer.access_token
    listed = readiness = None
    if village_code:
        listed, readiness = await asyncio.gather(
            api.get("registry", f"/api/v1/villages/{village_code}/institutions", token=token),
            api.get("registry", f"/api/v1/villages/{village_code}/readiness", token=token))
    place_names = await names.places(api, token, {village_code})
    return page(request, "institutions.html", status_code=status_code, village_code=village_code,
                institutions=listed["items"] if listed else [], readiness=readiness, place_names=place_names,
                **{"values": {"village_code": village_code or ""}, **context})


@router.get("/institutions")
async def institutions(request: Request, viewer: ViewerDep, village_code: str | None = None,
                       saved: str | None = None) -> Response:
    require(viewer, *PEOPLE)
    return await _institutions_page(request, viewer, _village(viewer, village_code), saved=saved)


def _members(form) -> list[dict]:
    band = forms.text(form, "age_band")
    return [{"role": forms.text(form, "member_role") or "anggota", "sex": sex, "count": count,
             **({"age_band": band} if band else {})}
            for sex in SEXES if (count := forms.text(form, f"members.{sex}")) and count != "0"]


@router.post("/institutions")
async def create_institution(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *PEOPLE)
    form = await form_of(request, viewer)
    village_code = _village(viewer, forms.text(form, "village_code"))
    body = {"type": forms.text(form, "type"), "name": forms.text(form, "name"), "status": forms.text(form, "status"),
            "formed_on": forms.text(form, "formed_on"), "decree_number": forms.text(form, "decree_number"),
            "decreed_on": forms.text(form, "decreed_on"), "members": _members(form)}
    made = await _create(request, viewer, form, f"/api/v1/villages/{village_code}/institutions", body,
                         lambda **context: _institutions_page(request, viewer, village_code, **context))
    return made if isinstance(made, Response) else redirect(
        f"/institutions?village_code={village_code}&saved=institution_saved")


@router.post("/institutions/{institution_id}")
async def change_institution(request: Request, viewer: ViewerDep, institution_id: uuid.UUID) -> Response:
    require(viewer, *PEOPLE)
    form = await form_of(request, viewer)
    body = {"status": forms.text(form, "status"), "decree_number": forms.text(form, "decree_number"),
            "decreed_on": forms.text(form, "decreed_on")}
    changed = await backends(request).call(
        "registry", "PATCH", f"/api/v1/institutions/{institution_id}", token=viewer.access_token,
        json={k: v for k, v in body.items() if v is not None}, headers=forms.if_match(form))
    return redirect(f"/institutions?village_code={changed['village_code']}&saved=institution_saved")


# Roadmaps ---------------------------------------------------------------------------------------------

@router.get("/roadmap")
async def roadmaps(request: Request, viewer: ViewerDep, saved: str | None = None) -> Response:
    require(viewer, *PEOPLE)
    api, token = backends(request), viewer.access_token
    if viewer.role is Role.VILLAGE_CADRE:
        items = [await api.get("registry", f"/api/v1/villages/{viewer.principal.village_code}/roadmap", token=token)]
    else:
        items = (await api.get("registry", "/api/v1/roadmaps", token=token,
                               params={"regency_code": _regency(viewer)}))["items"]
    place_names = await names.places(api, token, {r["village_code"] for r in items})
    return page(request, "roadmap.html", roadmaps=items, place_names=place_names, saved=saved,
                recordable=RECORDED_MILESTONES, values={})


@router.post("/roadmap")
async def record_milestone(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *OPERATORS)
    form = await form_of(request, viewer)
    village_code, milestone = forms.text(form, "village_code"), forms.text(form, "milestone")
    await backends(request).call("registry", "PUT", f"/api/v1/villages/{village_code}/roadmap/{milestone}",
                                 token=viewer.access_token, json={"reached_on": forms.text(form, "reached_on"),
                                                                  "reference": forms.text(form, "reference")})
    return redirect("/roadmap?saved=milestone_saved")


# Costs ------------------------------------------------------------------------------------------------

async def _costs_page(request: Request, viewer: Viewer, *, status_code: int = 200, **context) -> Response:
    api, token = backends(request), viewer.access_token
    costs, activities = await asyncio.gather(
        api.get("registry", "/api/v1/costs", token=token, params={"limit": 100}),
        api.get("registry", "/api/v1/activities", token=token, params={"limit": 100}))
    place_names = await names.places(api, token, {c["village_code"] for c in costs["items"]})
    topics = {a["id"]: a for a in activities["items"]}
    return page(request, "costs.html", status_code=status_code, costs=costs["items"], activities=activities["items"],
                topics=topics, place_names=place_names, kinds=VOCABULARY["funding_source"],
                **{"values": {"spent_on": request.app.state.clock.now().date().isoformat()}, **context})


@router.get("/costs")
async def costs(request: Request, viewer: ViewerDep, saved: str | None = None) -> Response:
    require(viewer, *OPERATORS)
    return await _costs_page(request, viewer, saved=saved)


@router.post("/costs")
async def record_cost(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *OPERATORS)
    form = await form_of(request, viewer)
    body = {"amount_idr": forms.text(form, "amount_idr"), "funding_source": forms.text(form, "funding_source"),
            "spent_on": forms.text(form, "spent_on"), "activity_id": forms.text(form, "activity_id"),
            "referral_id": forms.text(form, "referral_id")}
    made = await _create(request, viewer, form, "/api/v1/costs", body,
                         lambda **context: _costs_page(request, viewer, **context))
    return made if isinstance(made, Response) else redirect("/costs?saved=cost_saved")
