"""OIDC discovery, JWKS and the token endpoint (password and client-credentials grants)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import unquote_plus

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from sprpa_shared import audit
from sprpa_shared.auth.principal import Principal
from sprpa_shared.auth.signing import ALGORITHM, mint_token
from sprpa_shared.dependencies import ClockDep, SessionDep
from sprpa_shared.errors import TooManyRequests, Unauthorized
from sprpa_shared.observability import get_logger
from web.accounts import second_factor
from web.issuer import service
from web.issuer.models import User

router = APIRouter(tags=["auth"])
log = get_logger(__name__)


_RECENT_FAILURES = text("SELECT count(*) FROM audit_log WHERE client_ip = :ip AND at > :since "
                        "AND action LIKE 'login failed:%'")


async def limit_failures_from(request: Request, session, now, settings) -> None:
    """Per address: after `login_failures_per_address` failed logins within the window, every
    token request from it is refused with 429 until the window passes (the lockout of an
    account stops guessing one password; this stops guessing across many accounts)."""
    address = request.client.host if request.client else None
    if address is None:
        return
    window = timedelta(minutes=settings.login_failure_window_minutes)
    failures = (await (await session.connection()).execute(
        _RECENT_FAILURES, {"ip": address, "since": now - window})).scalar_one()
    if failures >= settings.login_failures_per_address:
        await audit.record_event(session, actor=f"address {address}", role="unknown", request=request, at=now,
                                 action="login refused: too many failures from this address")
        await session.commit()
        log.warning("token requests refused: too many failed logins from one address")
        raise TooManyRequests("too many failed logins from this address; try again later",
                              retry_after_seconds=int(window.total_seconds()))


_ACCOUNT_FAILURES = text("SELECT count(*) AS n, max(at) AS last FROM audit_log WHERE actor = :who "
                         "AND client_ip = :ip AND at > :since AND action LIKE 'login failed:%'")


async def back_off_failures_of(request: Request, session, now, settings, username: str) -> None:
    """Per account and address: after `lockout_threshold` failed logins for this username from this
    address, the next attempt from it waits a minute, twice as long after each further failure (at
    most `lockout_minutes`), and is refused with 429 until then. Never a lock of the account itself:
    failures from one address cannot keep its owner, signing in from elsewhere, out."""
    address = request.client.host if request.client else None
    window = timedelta(minutes=settings.login_failure_window_minutes)
    failures = (await (await session.connection()).execute(
        _ACCOUNT_FAILURES, {"who": username, "ip": address, "since": now - window})).one()
    if failures.n < settings.lockout_threshold:
        return
    wait = min(timedelta(minutes=1) * 2 ** (failures.n - settings.lockout_threshold),
               timedelta(minutes=settings.lockout_minutes))
    remaining = failures.last + wait - now
    if remaining <= timedelta(0):
        return
    await audit.record_event(session, actor=username, role="unknown", request=request, at=now,
                             action=f"login refused: failures from this address, wait {int(wait.total_seconds())} s")
    await session.commit()
    raise TooManyRequests("too many failed logins for this account from this address; try again later",
                          retry_after_seconds=max(1, int(remaining.total_seconds())))


async def sign_in(request: Request, session, now, *, username: str, password: str, code: str | None = None,
                  page: bool = False) -> Principal:
    """A user's password checked (with the back-off per account and address and the per-address
    limit), then their second factor when they have one, and audited; raises 401 or 429. The token
    endpoint and the sign-in page come through here. An operator whose kabupaten requires a second
    factor and who has none yet gets no token: they sign in on the page, which asks them to set it up."""
    settings = request.app.state.settings
    await limit_failures_from(request, session, now, settings)
    await back_off_failures_of(request, session, now, settings, username)
    principal, outcome = await service.authenticate_user(session, username=username, password=password)
    if principal is not None:
        user = await session.get(User, uuid.UUID(principal.subject))
        if user.totp_enabled and not second_factor.accept(user, code or "", secret_key=settings.secret_key,
                                                          now=datetime.now(UTC)):
            principal, outcome = None, "second_factor"
        elif not user.totp_enabled and not page and await second_factor.required(session, user):
            principal, outcome = None, "second_factor_not_set_up"
        session.add(user)
    await _record_outcome(request, session, now, who=username, grant_type="password", principal=principal,
                          outcome=outcome)
    return principal


async def _record_outcome(request: Request, session, now, *, who: str, grant_type: str, principal: Principal | None,
                          outcome: str) -> None:
    if principal is None:
        await audit.record_event(session, actor=who, role="unknown", request=request, at=now,
                                 action=f"login failed: {outcome} ({grant_type})")
        await session.commit()  # keep the failure count and the audit rows even though the request fails
        log.warning("login failed", grant_type=grant_type, outcome=outcome)
        raise Unauthorized("invalid credentials, or the account is locked", error="invalid_grant")
    await audit.record_event(session, actor=principal.subject, role=principal.role.value, request=request, at=now,
                             action=f"login ({grant_type})")


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


@router.get("/.well-known/openid-configuration", summary="OIDC discovery document")
async def discovery(request: Request) -> dict:
    settings = request.app.state.settings
    issuer = settings.oidc_issuer.rstrip("/")
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "token_endpoint": f"{issuer}/api/v1/auth/token",
        "grant_types_supported": ["password", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "role", "regencies", "village", "org", "scope"],
    }


@router.get("/.well-known/jwks.json", summary="Public keys that verify our tokens")
async def jwks(request: Request, session: SessionDep, clock: ClockDep) -> dict:
    settings = request.app.state.settings
    await service.signing_key(session, secret_key=settings.secret_key, now=clock.now())
    return await service.published_jwks(session, secret_key=settings.secret_key)


class OAuthErrorBody(BaseModel):
    """RFC 6749 section 5.2: what the token endpoint answers when it issues no token."""

    error: Literal["invalid_request", "invalid_client", "invalid_grant", "unsupported_grant_type",
                   "temporarily_unavailable"]
    error_description: str


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400, headers: dict | None = None) -> None:
        super().__init__(description)
        self.body = OAuthErrorBody(error=error, error_description=description)
        self.status, self.headers = status, headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body.model_dump(), status_code=self.status, headers={**NO_STORE, **self.headers})


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_LIMITS = {"grant_type": 50, "username": 200, "password": 500, "client_id": 200, "client_secret": 500, "totp": 10}
_OAUTH_ERRORS = {"description": "An OAuth error (RFC 6749 section 5.2): `error` and `error_description`",
                 "model": OAuthErrorBody}


def _client_credentials(authorization: str | None, client_id: str | None,
                        client_secret: str | None) -> tuple[str | None, str | None, bool]:
    """The client's id and secret from HTTP Basic (client_secret_basic) or the form
    (client_secret_post), never both; and whether Basic was used."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return client_id, client_secret, False
    if client_secret:
        raise OAuthError("invalid_request", "authenticate the client once: HTTP Basic or client_secret, not both")
    try:
        given_id, separator, given_secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", "the Basic credentials cannot be read", 401, BASIC_CHALLENGE) from exc
    if not separator or (client_id and client_id != unquote_plus(given_id)):
        raise OAuthError("invalid_client", "the Basic credentials cannot be read", 401, BASIC_CHALLENGE)
    return unquote_plus(given_id), unquote_plus(given_secret), True


BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="sprpa"'}


@router.post("/api/v1/auth/token", summary="Issue a short-lived access token (RFC 6749: password and "
             "client_credentials grants; clients authenticate with HTTP Basic or client_secret in the form)",
             response_model=TokenResponse, responses={400: _OAUTH_ERRORS, 401: _OAUTH_ERRORS, 429: _OAUTH_ERRORS})
async def token(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    grant_type: Annotated[str | None, Form()] = None,
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    totp: Annotated[str | None, Form(description="the code of the person's authenticator, when they have a "
                                                  "second factor (operators and admins)")] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenResponse | JSONResponse:
    given = {"grant_type": grant_type, "username": username, "password": password, "client_id": client_id,
             "client_secret": client_secret, "totp": totp}
    try:
        if too_long := [name for name, value in given.items() if value and len(value) > _LIMITS[name]]:
            raise OAuthError("invalid_request", f"too long: {', '.join(too_long)}")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required (password or client_credentials)")
        if grant_type not in ("password", "client_credentials"):
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type} is not supported: use password "
                                                       "or client_credentials")
        principal = await _authenticate(request, session, clock.now(), grant_type=grant_type, username=username,
                                        password=password, code=totp,
                                        client=_client_credentials(authorization, client_id, client_secret))
    except OAuthError as error:
        return error.response()
    settings = request.app.state.settings
    now = clock.now()
    ttl = timedelta(minutes=settings.access_token_ttl_minutes)
    key = await service.signing_key(session, secret_key=settings.secret_key, now=now)
    access_token = mint_token(
        key, principal, issuer=settings.oidc_issuer.rstrip("/"), audience=settings.oidc_audience, ttl=ttl, now=now
    )
    log.info("token issued", grant_type=grant_type, role=principal.role.value)
    return JSONResponse(TokenResponse(access_token=access_token, expires_in=int(ttl.total_seconds())).model_dump(),
                        headers=NO_STORE)


async def _authenticate(request: Request, session, now, *, grant_type: str, username: str | None,
                        password: str | None, code: str | None,
                        client: tuple[str | None, str | None, bool]) -> Principal:
    """The person or client the grant names, or an OAuthError: a wrong password is `invalid_grant`
    (400), a wrong client secret `invalid_client` (401), too many failures 429 with Retry-After."""
    settings = request.app.state.settings
    client_id, client_secret, basic = client
    try:
        if grant_type == "password":
            if not username or not password:
                raise OAuthError("invalid_request", "the password grant needs username and password")
            return await sign_in(request, session, now, username=username, password=password, code=code)
        await limit_failures_from(request, session, now, settings)
        if not client_id or not client_secret:
            raise OAuthError("invalid_request", "the client_credentials grant needs the client's id and secret "
                                                "(HTTP Basic, or client_id and client_secret)")
        principal = await service.authenticate_client(session, client_id=client_id, secret=client_secret)
        await _record_outcome(request, session, now, who=client_id, grant_type=grant_type, principal=principal,
                              outcome="ok" if principal else "bad_secret")
        return principal
    except Unauthorized as refused:
        if grant_type == "password":
            raise OAuthError("invalid_grant", refused.detail) from refused
        raise OAuthError("invalid_client", "unknown client, wrong secret, or the client is revoked", 401,
                         BASIC_CHALLENGE if basic else None) from refused
    except TooManyRequests as refused:
        raise OAuthError("temporarily_unavailable", refused.detail, 429,
                         {"Retry-After": str(refused.extensions["retry_after_seconds"])}) from refused
