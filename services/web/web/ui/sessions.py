"""Browser sessions: a signed-in browser holds a random token in an HttpOnly cookie; we keep only its hash.

Each page request loads the session and the user behind it (so disabling a user ends their sessions
at once), then mints a short-lived access token for the calls the page makes to the services. The
token never reaches the browser. Sessions follow wall-clock time, not the business clock.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.auth.signing import mint_token
from web.accounts import second_factor
from web.issuer import service as issuer
from web.issuer.models import User

COOKIE = "sprpa_session"
TOKEN_TTL = timedelta(minutes=5)  # one page's calls; a new one is minted for the next page


def wall_clock() -> datetime:
    return datetime.now(UTC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Viewer:
    """The signed-in person a page is rendered for."""

    username: str
    principal: Principal
    access_token: str
    csrf: str
    must_enrol: bool = False  # the kabupaten requires a second factor this operator has not set up

    @property
    def role(self) -> Role:
        return self.principal.role


def principal_of(user: User) -> Principal:
    return Principal(subject=str(user.id), role=Role(user.role), regency_codes=tuple(user.regency_codes),
                     village_code=user.village_code, organization_id=user.organization_id)


async def open_session(session: AsyncSession, user: Principal, *, now: datetime, max_age: timedelta) -> str:
    """A new session for a user who just proved their password; returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    connection = await session.connection()
    await connection.execute(
        text("INSERT INTO browser_sessions (token_hash, user_id, csrf, created_at, last_seen_at, expires_at) "
             "VALUES (:hash, :user, :csrf, :now, :now, :expires)"),
        {"hash": _hash(token), "user": user.subject, "csrf": secrets.token_urlsafe(24), "now": now,
         "expires": now + max_age})
    await connection.execute(text("DELETE FROM browser_sessions WHERE expires_at < :now"), {"now": now})
    return token


async def close_session(session: AsyncSession, token: str) -> None:
    await (await session.connection()).execute(text("DELETE FROM browser_sessions WHERE token_hash = :hash"),
                                               {"hash": _hash(token)})


async def viewer_for(session: AsyncSession, token: str | None, *, now: datetime, idle: timedelta,
                     settings) -> Viewer | None:
    """The viewer of a live session, its idle clock restarted; None when the cookie is missing, unknown,
    expired, idle too long, or its user disabled."""
    if not token:
        return None
    row = (await (await session.connection()).execute(
        text("UPDATE browser_sessions SET last_seen_at = :now WHERE token_hash = :hash AND expires_at > :now "
             "AND last_seen_at > :idle_since RETURNING user_id, csrf"),
        {"hash": _hash(token), "now": now, "idle_since": now - idle})).first()
    if row is None:
        return None
    user = await session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    principal = principal_of(user)
    key = await issuer.signing_key(session, secret_key=settings.secret_key, now=now)
    access_token = mint_token(key, principal, issuer=settings.oidc_issuer.rstrip("/"),
                              audience=settings.oidc_audience, ttl=TOKEN_TTL, now=now)
    must_enrol = not user.totp_enabled and await second_factor.required(session, user)
    return Viewer(username=user.username, principal=principal, access_token=access_token, csrf=row.csrf,
                  must_enrol=must_enrol)
