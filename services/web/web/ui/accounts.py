"""The district's people on a page: the accounts it manages (make, deactivate, reactivate, reset,
approve, move a cadre), its API clients, and the page where a person sets their own password with
the one-time code (or link) their operator gave them. The code and a client's secret are shown
once, on the page that made them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import text

from sprpa_shared import audit
from sprpa_shared.auth.principal import API_SCOPES, Role
from sprpa_shared.db import transaction
from sprpa_shared.errors import DomainError
from web.accounts import second_factor, service
from web.accounts.router import mou_regencies
from web.issuer.models import User
from web.ui import names
from web.ui.backends import ApiError
from web.ui.render import NotAllowed, ViewerDep, backends, form_of, language, page, problem_context, redirect
from web.ui.sessions import wall_clock

router = APIRouter(include_in_schema=False)
ACTIONS = ("deactivate", "reactivate", "reset", "approve", "move")


def _refused(error: DomainError) -> ApiError:
    return ApiError(status=error.status, title=error.title, detail=error.detail,
                    errors=list(error.extensions.get("errors", [])))


async def _listing(request: Request, viewer, **context) -> Response:
    async with transaction(request.app.state.sessions) as session:
        manager = await service.manager_of(session, viewer.principal)
        try:
            rows = await service.accounts(session, manager)
        except DomainError as error:
            raise NotAllowed() from error
        clients = await service.clients(session, viewer.principal) if viewer.role in (
            Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN) else []
    api, token = backends(request), viewer.access_token
    organisations = []
    if viewer.role is Role.DISTRICT_OPERATOR:  # provider staff are made for one of the kabupaten's organisations
        try:
            listed = await api.get("providers", "/api/v1/organizations", token=token,
                                   params={"regency_code": viewer.principal.regency_codes[0], "limit": 100})
            organisations = [(o["id"], o["name"]) for o in listed["items"]]
        except ApiError:
            pass  # the directory unreachable: the organisation's id is typed instead
    place_names = await names.places(api, token, {row.village_code or row.managed_in for row in rows})
    return page(request, "accounts.html", rows=rows, clients=clients, values=context.pop("values", {}),
                scopes=sorted(API_SCOPES), organisations=organisations, place_names=place_names, **context)


def _link(request: Request, code: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/password?code={code}"


@router.get("/accounts")
async def accounts(request: Request, viewer: ViewerDep) -> Response:
    return await _listing(request, viewer)


@router.post("/accounts")
async def create(request: Request, viewer: ViewerDep) -> Response:
    form = await form_of(request, viewer)
    values = {key: str(form.get(key) or "").strip() for key in ("username", "role", "village_code",
                                                                 "organization_id", "org_admin")}
    try:
        # A village facilitator is a village_cadre account with that function (DOMAIN.md "Who uses it").
        function = "facilitator" if values["role"] == "village_facilitator" else None
        role = Role.VILLAGE_CADRE if function else Role(values["role"] or "village_cadre")
        organization = uuid.UUID(values["organization_id"]) if values["organization_id"] else None
    except ValueError:
        return await _listing(request, viewer, values=values, status_code=422,
                              **problem_context(ApiError(422, "invalid", "choose a role and an organisation id",
                                                         []), language(request)))
    token = viewer.access_token
    try:
        mou = await mou_regencies(request, organization, token) if role is Role.PROVIDER_STAFF and \
            viewer.role is Role.DISTRICT_OPERATOR else None
        async with transaction(request.app.state.sessions) as session:
            manager = await service.manager_of(session, viewer.principal)
            user, code = await service.create(
                session, request, manager, username=values["username"], role=role, regency_code=None,
                village_code=values["village_code"] or None, organization_id=organization,
                org_admin=values["org_admin"] == "on", mou_regencies=mou, now=wall_clock(), function=function)
            username = user.username
    except DomainError as error:
        return await _listing(request, viewer, values=values, status_code=error.status,
                              **problem_context(_refused(error), language(request)))
    return await _listing(request, viewer, shown={"username": username, "link": _link(request, code),
                                                  "code": code})


@router.post("/accounts/{account_id}/{action}")
async def act(request: Request, viewer: ViewerDep, account_id: uuid.UUID, action: str) -> Response:
    form = await form_of(request, viewer)
    if action not in ACTIONS:
        return page(request, "error.html", status_code=404, message="not_found")
    shown = None
    try:
        async with transaction(request.app.state.sessions) as session:
            manager = await service.manager_of(session, viewer.principal)
            user = await service.account(session, manager, account_id, lock=True)
            now = wall_clock()
            if action == "reset":
                code = await service.reset(session, request, manager, user, now)
                shown = {"username": user.username, "link": _link(request, code), "code": code}
            elif action == "move":
                await service.move(session, request, manager, user, str(form.get("village_code") or ""), now)
            else:
                await getattr(service, action)(session, request, manager, user, now)
    except DomainError as error:
        return await _listing(request, viewer, status_code=error.status,
                              **problem_context(_refused(error), language(request)))
    if shown:
        return await _listing(request, viewer, shown=shown)
    return redirect("/accounts")


@router.post("/accounts/clients")
async def create_client(request: Request, viewer: ViewerDep) -> Response:
    form = await form_of(request, viewer)
    client_id = str(form.get("client_id") or "").strip()
    scopes = [str(scope) for scope in form.getlist("scopes")]
    try:
        async with transaction(request.app.state.sessions) as session:
            made, secret = await service.create_client(session, request, viewer.principal, client_id=client_id,
                                                       regency_code=None, scopes=scopes, now=wall_clock())
            made_id = made.client_id
    except DomainError as error:
        return await _listing(request, viewer, status_code=error.status,
                              **problem_context(_refused(error), language(request)))
    return await _listing(request, viewer, secret={"client_id": made_id, "secret": secret})


@router.post("/accounts/clients/{client_id}/revoke")
async def revoke_client(request: Request, viewer: ViewerDep, client_id: str) -> Response:
    await form_of(request, viewer)
    try:
        async with transaction(request.app.state.sessions) as session:
            await service.revoke_client(session, request, viewer.principal, client_id, wall_clock())
    except DomainError as error:
        return await _listing(request, viewer, status_code=error.status,
                              **problem_context(_refused(error), language(request)))
    return redirect("/accounts")


@router.get("/password")
async def password_form(request: Request, code: str = "") -> Response:
    return page(request, "password.html", code=code, values={})


@router.post("/password")
async def password_set(request: Request) -> Response:
    form = await request.form()
    code, password = str(form.get("code") or ""), str(form.get("password") or "")
    if password != str(form.get("password_again") or ""):
        return page(request, "password.html", status_code=422, code=code, values={},
                    **problem_context(ApiError(422, "invalid", "", [{"field": "password_again",
                                                                      "message": "the two passwords differ"}]),
                                      language(request)))
    try:
        async with transaction(request.app.state.sessions) as session:
            await service.set_password(session, request, code=code, password=password, now=wall_clock())
    except DomainError as error:
        return page(request, "password.html", status_code=error.status, code=code, values={},
                    **problem_context(_refused(error), language(request)))
    return redirect("/login?password_set=1")


@router.get("/account/security")
async def security(request: Request, viewer: ViewerDep) -> Response:
    return await _security_page(request, viewer)


async def _security_page(request: Request, viewer, **context) -> Response:
    async with transaction(request.app.state.sessions) as session:
        user = await session.get(User, uuid.UUID(viewer.principal.subject))
        required = await second_factor.required(session, user)
        regencies = {code: await _required_in(session, code) for code in viewer.principal.regency_codes}
    return page(request, "security.html", enabled=user.totp_enabled, required=required, regencies=regencies,
                eligible=user.role in second_factor.ROLES, **context)


async def _required_in(session, regency: str) -> bool:
    return bool((await (await session.connection()).execute(
        text("SELECT totp_required FROM regency_security WHERE regency_code = :code"), {"code": regency})).scalar())


@router.post("/account/security/start")
async def security_start(request: Request, viewer: ViewerDep) -> Response:
    await form_of(request, viewer)
    settings = request.app.state.settings
    async with transaction(request.app.state.sessions) as session:
        user = await session.get(User, uuid.UUID(viewer.principal.subject), with_for_update=True)
        try:
            secret, uri = second_factor.start(user, secret_key=settings.secret_key)
        except DomainError as error:
            raise NotAllowed() from error
        session.add(user)
    return await _security_page(request, viewer, secret=secret, uri=uri)


@router.post("/account/security/confirm")
async def security_confirm(request: Request, viewer: ViewerDep) -> Response:
    form = await form_of(request, viewer)
    settings = request.app.state.settings
    try:
        async with transaction(request.app.state.sessions) as session:
            user = await session.get(User, uuid.UUID(viewer.principal.subject), with_for_update=True)
            second_factor.confirm(user, str(form.get("code") or ""), secret_key=settings.secret_key,
                                  now=datetime.now(UTC))
            session.add(user)
            await audit.record_event(session, actor=viewer.principal.subject, role=viewer.role.value,
                                     request=request, at=wall_clock(), action="second factor set up")
    except DomainError as error:
        return await _security_page(request, viewer, status_code=error.status,
                                    **problem_context(_refused(error), language(request)))
    return redirect("/account/security")


@router.post("/account/security/required")
async def security_required(request: Request, viewer: ViewerDep) -> Response:
    form = await form_of(request, viewer)
    try:
        async with transaction(request.app.state.sessions) as session:
            regency = str(form.get("regency_code") or "")
            required = form.get("totp_required") == "on"
            await second_factor.set_required(session, viewer.principal, regency_code=regency, required=required,
                                             now=wall_clock())
            await audit.record_event(session, actor=viewer.principal.subject, role=viewer.role.value,
                                     request=request, at=wall_clock(),
                                     action=f"second factor {'required' if required else 'optional'} in {regency}")
    except DomainError as error:
        raise NotAllowed() from error
    return redirect("/account/security")
