"""`/api/v1/accounts` and `/api/v1/clients`: the district manages its people and its integrating
systems; `/api/v1/auth/password`: a person sets their own password with a one-time code;
`/api/v1/auth/revocations`: the tokens revoked, for every service's verifier."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from sprpa_shared.auth.principal import API_SCOPES, Principal, Role
from sprpa_shared.auth.verifier import MAX_TOKEN_LIFETIME
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import NotFound
from sprpa_shared.pagination import Page
from web.accounts import service
from web.issuer.models import ApiClient, User
from web.ui.backends import ApiError

router = APIRouter(tags=["accounts"])

USERNAME = r"^[a-z0-9][a-z0-9._-]{2,63}$"
DESA = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"
REGENCY = r"^\d{2}\.\d{2}$"


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME, examples=["kader.kesilir"], description="lower case letters, digits, "
                          "dots, dashes; never a child's name")
    role: Literal["village_cadre", "provider_staff", "district_operator"]
    village_code: str | None = Field(default=None, pattern=DESA, description="a cadre's desa")
    organization_id: uuid.UUID | None = Field(default=None, description="provider staff: an organisation with an MOU "
                                              "with the kabupaten")
    regency_code: str | None = Field(default=None, pattern=REGENCY, description="the kabupaten that manages the "
                                     "account, when the caller has several")
    org_admin: bool = Field(default=False, description="provider staff who manage their organisation's staff")
    function: Literal["cadre", "facilitator"] | None = Field(
        default=None, description="a village_cadre's function in the desa: a PATBM/GTDLA cadre, or the village "
        "facilitator who accompanies children (fasilitator desa pendamping anak); same rights. Default cadre")


class AccountPublic(BaseModel):
    id: uuid.UUID
    username: str
    role: str
    village_code: str | None
    organization_id: uuid.UUID | None
    regency_code: str | None = Field(description="the kabupaten that manages the account")
    org_admin: bool
    function: Literal["cadre", "facilitator"] | None = Field(description="a village_cadre's function in the desa")
    status: Literal["active", "awaiting_approval", "deactivated"]
    created_at: datetime | None


class AccountWithCode(AccountPublic):
    code: str = Field(description="shown this once: the person sets their own password with it at /password "
                                  "(or POST /api/v1/auth/password) within 24 hours")
    code_expires_at: datetime


class AccountMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    village_code: str = Field(pattern=DESA)


class OneTimeCode(BaseModel):
    code: str = Field(description="shown this once; earlier codes stop working")
    code_expires_at: datetime


class PasswordSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=10, max_length=100)
    password: str = Field(min_length=1, max_length=500, description="at least 10 characters; a phrase is best. "
                          "Passwords known from breaches are refused; nothing else is required of it")


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(pattern=USERNAME, examples=["simpeg-jember"])
    scopes: list[Literal[tuple(sorted(API_SCOPES))]] = Field(min_length=1)  # type: ignore[valid-type]
    regency_code: str | None = Field(default=None, pattern=REGENCY)


class ClientPublic(BaseModel):
    client_id: str
    role: str
    regency_codes: list[str]
    scopes: list[str]
    status: Literal["active", "revoked"]
    created_at: datetime | None


class ClientWithSecret(ClientPublic):
    client_secret: str = Field(description="shown this once; only its hash is kept")


class Revocations(BaseModel):
    revoked: list[dict] = Field(description="each: subject_sha256 (SHA-256 of the token's `sub`, hex) and before "
                                "(epoch seconds): tokens of that subject issued before are refused")
    kept_seconds: int


def _public(user: User) -> AccountPublic:
    status = "deactivated" if user.disabled else "awaiting_approval" if user.pending_approval else "active"
    return AccountPublic(id=user.id, username=user.username, role=user.role, village_code=user.village_code,
                         organization_id=user.organization_id, regency_code=user.managed_in,
                         org_admin=user.org_admin, function=user.village_function, status=status,
                         created_at=user.created_at)


def _client(made: ApiClient) -> ClientPublic:
    return ClientPublic(client_id=made.client_id, role=made.role, regency_codes=made.regency_codes, scopes=made.scopes,
                        status="revoked" if made.disabled else "active", created_at=made.created_at)


async def mou_regencies(request: Request, organization_id: uuid.UUID | None, token: str) -> set[str]:
    """The kabupaten the organisation has an MOU with, as the directory says (read with the caller's token)."""
    if organization_id is None:
        return set()
    try:
        listed = await request.app.state.backends.get("providers", f"/api/v1/organizations/{organization_id}/mous",
                                                       token=token)
    except ApiError as error:
        if error.status == 404:
            return set()
        raise
    return {mou["regency_code"] for mou in listed["items"] if mou.get("status") != "terminated"}


def _token(authorization: str | None) -> str:
    return (authorization or "").partition(" ")[2]


@router.get("/api/v1/accounts", dependencies=[needs(None)], response_model=Page[AccountPublic],
            summary="The accounts you manage: your kabupaten's cadres, provider staff and operators (an organisation's "
                    "admin: its staff)")
async def list_accounts(session: SessionDep, principal: PrincipalDep) -> Page[AccountPublic]:
    manager = await service.manager_of(session, principal)
    return Page(items=[_public(user) for user in await service.accounts(session, manager)], next_cursor=None)


@router.post("/api/v1/accounts", dependencies=[needs(None)], status_code=201, response_model=AccountWithCode,
             summary="Make an account in your kabupaten; the answer holds the one-time code the person sets their "
                     "password with (a new operator also waits for a second operator's approval)")
async def create_account(body: AccountCreate, request: Request, response: Response, session: SessionDep,
                         principal: PrincipalDep, clock: ClockDep,
                         authorization: Annotated[str | None, Header(include_in_schema=False)] = None
                         ) -> AccountWithCode:
    manager = await service.manager_of(session, principal)
    role = Role(body.role)
    mou = await mou_regencies(request, body.organization_id, _token(authorization)) \
        if role is Role.PROVIDER_STAFF and principal.role is Role.DISTRICT_OPERATOR else None
    user, code = await service.create(session, request, manager, username=body.username, role=role,
                                      regency_code=body.regency_code, village_code=body.village_code,
                                      organization_id=body.organization_id, org_admin=body.org_admin,
                                      function=body.function, mou_regencies=mou, now=clock.now())
    await session.refresh(user)
    response.headers["Location"] = f"/api/v1/accounts/{user.id}"
    return AccountWithCode(**_public(user).model_dump(), code=code, code_expires_at=clock.now() + service.CODE_LIFETIME)


@router.get("/api/v1/accounts/{account_id}", dependencies=[needs(None)], response_model=AccountPublic,
            summary="One account you manage")
async def read_account(account_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> AccountPublic:
    return _public(await service.account(session, await service.manager_of(session, principal), account_id))


async def _act(session, principal: Principal, account_id: uuid.UUID):
    manager = await service.manager_of(session, principal)
    return manager, await service.account(session, manager, account_id, lock=True)


@router.post("/api/v1/accounts/{account_id}/approve", dependencies=[needs(None)], response_model=AccountPublic,
             summary="Approve a new operator (a second operator: not whoever made the account)")
async def approve(account_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep,
                  clock: ClockDep) -> AccountPublic:
    manager, user = await _act(session, principal, account_id)
    return _public(await service.approve(session, request, manager, user, clock.now()))


@router.post("/api/v1/accounts/{account_id}/deactivate", dependencies=[needs(None)], response_model=AccountPublic,
             summary="Deactivate at once: no sign-in, page sessions ended, every token so far refused by every "
                     "service within a minute")
async def deactivate(account_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep,
                     clock: ClockDep) -> AccountPublic:
    manager, user = await _act(session, principal, account_id)
    return _public(await service.deactivate(session, request, manager, user, clock.now()))


@router.post("/api/v1/accounts/{account_id}/reactivate", dependencies=[needs(None)], response_model=AccountPublic,
             summary="Let a deactivated person sign in again (their old tokens stay refused)")
async def reactivate(account_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep,
                     clock: ClockDep) -> AccountPublic:
    manager, user = await _act(session, principal, account_id)
    return _public(await service.reactivate(session, request, manager, user, clock.now()))


@router.post("/api/v1/accounts/{account_id}/reset", dependencies=[needs(None)], response_model=OneTimeCode,
             summary="A one-time code for the person to set a new password with (shown once, 24 hours)")
async def reset(account_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep,
                clock: ClockDep) -> OneTimeCode:
    manager, user = await _act(session, principal, account_id)
    code = await service.reset(session, request, manager, user, clock.now())
    return OneTimeCode(code=code, code_expires_at=clock.now() + service.CODE_LIFETIME)


@router.post("/api/v1/accounts/{account_id}/move", dependencies=[needs(None)], response_model=AccountPublic,
             summary="Move a cadre to another desa of the kabupaten")
async def move(account_id: uuid.UUID, body: AccountMove, request: Request, session: SessionDep,
               principal: PrincipalDep, clock: ClockDep) -> AccountPublic:
    manager, user = await _act(session, principal, account_id)
    return _public(await service.move(session, request, manager, user, body.village_code, clock.now()))


@router.post("/api/v1/auth/password", status_code=204, response_class=Response,
             summary="Set your own password with the one-time code your operator gave you (once, within 24 hours)")
async def set_password(body: PasswordSet, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    await service.set_password(session, request, code=body.code, password=body.password, now=clock.now())
    return Response(status_code=204)


@router.get("/api/v1/auth/revocations", response_model=Revocations,
            summary="Tokens revoked before they expire (deactivated people and revoked clients), for every "
                    "service's verifier; subjects are hashed")
async def revocations(response: Response, session: SessionDep, clock: ClockDep) -> Revocations:
    kept = MAX_TOKEN_LIFETIME + timedelta(minutes=5)
    response.headers["Cache-Control"] = "max-age=5"
    return Revocations(revoked=await service.revocations(session, now=clock.now(), kept=kept),
                       kept_seconds=int(kept.total_seconds()))


@router.get("/api/v1/clients", dependencies=[needs(None)], response_model=Page[ClientPublic],
            summary="Your kabupaten's API clients")
async def list_clients(session: SessionDep, principal: PrincipalDep) -> Page[ClientPublic]:
    return Page(items=[_client(made) for made in await service.clients(session, principal)], next_cursor=None)


@router.post("/api/v1/clients", dependencies=[needs(None)], status_code=201, response_model=ClientWithSecret,
             summary="Register an integrating system for your kabupaten (role integration, the scopes listed); its "
                     "secret is shown this once")
async def create_client(body: ClientCreate, request: Request, response: Response, session: SessionDep,
                        principal: PrincipalDep, clock: ClockDep) -> ClientWithSecret:
    made, secret = await service.create_client(session, request, principal, client_id=body.client_id,
                                                regency_code=body.regency_code, scopes=list(body.scopes),
                                                now=clock.now())
    await session.refresh(made)
    response.headers["Location"] = f"/api/v1/clients/{made.client_id}"
    return ClientWithSecret(**_client(made).model_dump(), client_secret=secret)


@router.get("/api/v1/clients/{client_id}", dependencies=[needs(None)], response_model=ClientPublic,
            summary="One of your kabupaten's API clients")
async def read_client(client_id: str, session: SessionDep, principal: PrincipalDep) -> ClientPublic:
    made = next((c for c in await service.clients(session, principal) if c.client_id == client_id), None)
    if made is None:
        raise NotFound("no such API client among your kabupaten's")
    return _client(made)


@router.post("/api/v1/clients/{client_id}/revoke", dependencies=[needs(None)], response_model=ClientPublic,
             summary="Revoke an API client: no new tokens, and its tokens refused by every service within a minute")
async def revoke_client(client_id: str, request: Request, session: SessionDep, principal: PrincipalDep,
                        clock: ClockDep) -> ClientPublic:
    return _client(await service.revoke_client(session, request, principal, client_id, clock.now()))
