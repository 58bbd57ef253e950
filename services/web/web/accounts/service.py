"""Managing accounts: made with a one-time code the person sets their own password with, approved
by a second operator (new operators), deactivated at once (page sessions ended, tokens revoked for
every service through the revocation list), reset, moved to another desa. Every change is audited
and announced (`account.changed`, ids and codes only)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_contracts.events import AccountChanged
from sprpa_shared import audit
from sprpa_shared.auth.principal import API_SCOPES, Principal, Role
from sprpa_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sprpa_shared.events.outbox import emit
from web.accounts import passwords
from web.accounts.rules import Managed, Manager, managed_in_for, may_manage, require_manager
from web.issuer import service as issuer
from web.issuer.models import ApiClient, User

CODE_LIFETIME = timedelta(hours=24)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def manager_of(session: AsyncSession, principal: Principal) -> Manager:
    org_admin = False
    if principal.role is Role.PROVIDER_STAFF:
        me = await _user(session, principal.subject)
        org_admin = bool(me and me.org_admin and not me.disabled)
    return Manager(principal, org_admin=org_admin)


async def _user(session: AsyncSession, subject: str) -> User | None:
    try:
        return await session.get(User, uuid.UUID(subject))
    except ValueError:
        return None


def _managed(user: User) -> Managed:
    return Managed(Role(user.role), user.managed_in, user.organization_id)


async def account(session: AsyncSession, manager: Manager, account_id: uuid.UUID, *, lock: bool = False) -> User:
    """An account the caller manages; 404 for any other (no hint that it exists)."""
    require_manager(manager)
    query = select(User).where(User.id == account_id)
    user = (await session.exec(query.with_for_update() if lock else query)).first()
    if user is None or not may_manage(manager, _managed(user)):
        raise NotFound("no such account among those you manage")
    return user


async def accounts(session: AsyncSession, manager: Manager) -> list[User]:
    require_manager(manager)
    principal = manager.principal
    query = select(User).order_by(col(User.role), col(User.username))
    if principal.role is Role.DISTRICT_OPERATOR:
        query = query.where(col(User.managed_in).in_(principal.regency_codes),
                            col(User.role).in_([role.value for role in (Role.VILLAGE_CADRE, Role.PROVIDER_STAFF,
                                                                        Role.DISTRICT_OPERATOR)]))
    elif principal.role is Role.PROVIDER_STAFF:
        query = query.where(User.organization_id == principal.organization_id, User.role == Role.PROVIDER_STAFF.value)
    return list((await session.exec(query.limit(2000))).all())


async def create(session: AsyncSession, request: Request, manager: Manager, *, username: str, role: Role,
                 regency_code: str | None, village_code: str | None, organization_id: uuid.UUID | None,
                 org_admin: bool, mou_regencies: set[str] | None, now: datetime,
                 function: str | None = None) -> tuple[User, str]:
    """A new account and its one-time code (shown once, 24 hours). `mou_regencies`: the kabupaten
    the organisation has an MOU with (provider staff), as the directory says."""
    require_manager(manager)
    principal = manager.principal
    if principal.role is Role.PROVIDER_STAFF:
        if organization_id not in (None, principal.organization_id):
            raise Forbidden("an organisation's admin makes staff of their own organisation only")
        me = await _user(session, principal.subject)
        regency_code, organization_id = (me.managed_in if me else None), principal.organization_id
    managed_in = managed_in_for(manager, role=role, regency_code=regency_code, village_code=village_code,
                                organization_id=organization_id)
    if role is Role.PROVIDER_STAFF and principal.role is Role.DISTRICT_OPERATOR and managed_in not in (
            mou_regencies or set()):
        raise Forbidden("this organisation has no MOU with your kabupaten")
    if village_code and not village_code.startswith(managed_in + "."):
        raise ValidationFailed(f"{village_code} is not in {managed_in}", field="village_code")
    issuer.validate_scope(role, regency_codes=[managed_in] if role is Role.DISTRICT_OPERATOR else [],
                          village_code=village_code if role is Role.VILLAGE_CADRE else None,
                          organization_id=organization_id if role is Role.PROVIDER_STAFF else None)
    if function is not None and role is not Role.VILLAGE_CADRE:
        raise ValidationFailed("only a village cadre account has a function in the desa", field="function")
    if (await session.exec(select(User).where(User.username == username))).first():
        raise Conflict(f"the username {username!r} is taken")
    pending = role is Role.DISTRICT_OPERATOR and principal.role is not Role.NATIONAL_ADMIN
    user = User(
        username=username, password_hash=issuer.unusable_hash(), role=role.value,
        regency_codes=[managed_in] if role is Role.DISTRICT_OPERATOR else [],
        village_code=village_code if role is Role.VILLAGE_CADRE else None,
        organization_id=organization_id if role is Role.PROVIDER_STAFF else None,
        org_admin=org_admin and role is Role.PROVIDER_STAFF, managed_in=managed_in, pending_approval=pending,
        village_function=(function or "cadre") if role is Role.VILLAGE_CADRE else None,
        created_by=principal.subject)
    session.add(user)
    await session.flush()
    code = await _new_code(session, user, principal, now)
    await _changed(session, request, principal, user, "created", now)
    return user, code


async def approve(session: AsyncSession, request: Request, manager: Manager, user: User, now: datetime) -> User:
    principal = manager.principal
    if not user.pending_approval:
        raise Conflict("this account does not wait for approval")
    if principal.role not in (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN):
        raise Forbidden("a district operator or a national admin approves a new operator")
    if user.created_by == principal.subject:
        raise Forbidden("a second person must approve: whoever made the account cannot approve it")
    user.pending_approval, user.approved_by = False, principal.subject
    session.add(user)
    await _changed(session, request, principal, user, "approved", now)
    return user


async def deactivate(session: AsyncSession, request: Request, manager: Manager, user: User, now: datetime) -> User:
    """At once: no sign-in, the page sessions ended, every token issued so far revoked."""
    if str(user.id) == manager.principal.subject:
        raise Conflict("you cannot deactivate your own account: ask another operator")
    user.disabled, user.tokens_revoked_at = True, now
    session.add(user)
    connection = await session.connection()
    await connection.execute(text("DELETE FROM browser_sessions WHERE user_id = :id"), {"id": user.id})
    await connection.execute(text("UPDATE password_codes SET used_at = :now WHERE user_id = :id AND used_at IS NULL"),
                             {"id": user.id, "now": now})
    await _changed(session, request, manager.principal, user, "deactivated", now)
    return user


async def reactivate(session: AsyncSession, request: Request, manager: Manager, user: User, now: datetime) -> User:
    if not user.disabled:
        raise Conflict("the account is active")
    user.disabled = False
    session.add(user)
    await _changed(session, request, manager.principal, user, "reactivated", now)
    return user


async def reset(session: AsyncSession, request: Request, manager: Manager, user: User, now: datetime) -> str:
    """A one-time code for the person to set a new password with; earlier codes stop working."""
    if user.disabled:
        raise Conflict("the account is deactivated: reactivate it first")
    code = await _new_code(session, user, manager.principal, now)
    await _changed(session, request, manager.principal, user, "password_reset", now)
    return code


async def move(session: AsyncSession, request: Request, manager: Manager, user: User, village_code: str,
               now: datetime) -> User:
    """A cadre moves to another desa of the kabupaten (their sessions end: the scope changed)."""
    if user.role != Role.VILLAGE_CADRE.value:
        raise Conflict("only a cadre has a desa")
    if user.managed_in and not village_code.startswith(user.managed_in + "."):
        raise ValidationFailed(f"{village_code} is not in {user.managed_in}: a move to another kabupaten is a "
                               "new account there", field="village_code")
    issuer.validate_scope(Role.VILLAGE_CADRE, regency_codes=[], village_code=village_code, organization_id=None)
    user.village_code, user.tokens_revoked_at = village_code, now
    session.add(user)
    await (await session.connection()).execute(text("DELETE FROM browser_sessions WHERE user_id = :id"),
                                               {"id": user.id})
    await _changed(session, request, manager.principal, user, "moved", now)
    return user


async def set_password(session: AsyncSession, request: Request, *, code: str, password: str, now: datetime) -> User:
    """The person sets their own password with a one-time code: once, within 24 hours."""
    row = (await (await session.connection()).execute(
        text("UPDATE password_codes SET used_at = :now WHERE code_hash = :hash AND used_at IS NULL "
             "AND expires_at > :now RETURNING user_id"), {"hash": code_hash(code), "now": now})).first()
    if row is None:
        raise ValidationFailed("this code is unknown, used or expired: ask your operator for a new one", field="code")
    user = await session.get(User, row.user_id, with_for_update=True)
    if user is None or user.disabled:
        raise ValidationFailed("this code is unknown, used or expired: ask your operator for a new one", field="code")
    if problem := passwords.problem(password, username=user.username):
        raise ValidationFailed(problem, field="password")
    user.password_hash, user.failed_logins = issuer.hash_password(password), 0
    session.add(user)
    await audit.record_event(session, actor=str(user.id), role=user.role, request=request, at=now,
                             action="password set with a one-time code")
    return user


async def _new_code(session: AsyncSession, user: User, by: Principal, now: datetime) -> str:
    connection = await session.connection()
    await connection.execute(text("UPDATE password_codes SET used_at = :now WHERE user_id = :id AND used_at IS NULL"),
                             {"id": user.id, "now": now})
    code = secrets.token_urlsafe(18)
    await connection.execute(text(
        "INSERT INTO password_codes (code_hash, user_id, created_by, created_at, expires_at) "
        "VALUES (:hash, :user, :by, :now, :expires)"),
        {"hash": code_hash(code), "user": user.id, "by": by.subject, "now": now, "expires": now + CODE_LIFETIME})
    return code


async def _changed(session: AsyncSession, request: Request, by: Principal, user: User, change: str,
                   now: datetime) -> None:
    await audit.record_event(session, actor=by.subject, role=by.role.value, request=request, at=now,
                             action=f"account {change}: {user.id} ({user.role})")
    await emit(session, AccountChanged(account_id=user.id, change=change, role=user.role,
                                       regency_code=user.managed_in or None, village_code=user.village_code,
                                       organization_id=user.organization_id, village_function=user.village_function,
                                       by_role=by.role.value), at=now)


# API clients of integrating systems: made by the kabupaten's operators, scoped to it.

async def clients(session: AsyncSession, principal: Principal) -> list[ApiClient]:
    _require_client_manager(principal)
    query = select(ApiClient).order_by(col(ApiClient.client_id))
    made = (await session.exec(query)).all()
    if principal.role is Role.NATIONAL_ADMIN:
        return list(made)
    return [c for c in made if c.role == Role.INTEGRATION.value and set(c.regency_codes) & set(principal.regency_codes)]


async def create_client(session: AsyncSession, request: Request, principal: Principal, *, client_id: str,
                        regency_code: str | None, scopes: list[str], now: datetime) -> tuple[ApiClient, str]:
    _require_client_manager(principal)
    regency = managed_in_for(Manager(principal), role=Role.INTEGRATION if principal.role is Role.NATIONAL_ADMIN
                             else Role.DISTRICT_OPERATOR, regency_code=regency_code, village_code=None,
                             organization_id=None)
    if unknown := sorted(set(scopes) - set(API_SCOPES)):
        raise ValidationFailed(f"unknown scopes: {', '.join(unknown)}", field="scopes")
    made, secret = await issuer.create_client(session, client_id=client_id, role=Role.INTEGRATION,
                                              regency_codes=[regency], scopes=scopes)
    made.created_by = principal.subject
    session.add(made)
    await audit.record_event(session, actor=principal.subject, role=principal.role.value, request=request, at=now,
                             action=f"api client created: {client_id} ({', '.join(sorted(scopes))})")
    await emit(session, AccountChanged(account_id=made.id, change="created", role=Role.INTEGRATION.value,
                                       regency_code=regency, by_role=principal.role.value), at=now)
    return made, secret


async def revoke_client(session: AsyncSession, request: Request, principal: Principal, client_id: str,
                        now: datetime) -> ApiClient:
    made = next((c for c in await clients(session, principal) if c.client_id == client_id), None)
    if made is None:
        raise NotFound("no such API client among your kabupaten's")
    made.disabled, made.tokens_revoked_at = True, now
    session.add(made)
    await audit.record_event(session, actor=principal.subject, role=principal.role.value, request=request, at=now,
                             action=f"api client revoked: {client_id}")
    await emit(session, AccountChanged(account_id=made.id, change="deactivated", role=Role.INTEGRATION.value,
                                       regency_code=made.regency_codes[0] if made.regency_codes else None,
                                       by_role=principal.role.value), at=now)
    return made


def _require_client_manager(principal: Principal) -> None:
    if principal.role not in (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN):
        raise Forbidden("a district operator makes and revokes its kabupaten's API clients")


# The revocation list every service's verifier reads.

_REVOKED = text("""
SELECT id::text AS subject, tokens_revoked_at AS at FROM users WHERE tokens_revoked_at > :since
UNION ALL
SELECT 'client:' || client_id, tokens_revoked_at FROM api_clients WHERE tokens_revoked_at > :since
""")


async def revocations(session: AsyncSession, *, now: datetime, kept: timedelta) -> list[dict]:
    rows = (await (await session.connection()).execute(_REVOKED, {"since": now - kept})).all()
    return [{"subject_sha256": hashlib.sha256(row.subject.encode()).hexdigest(),
             "before": int(row.at.timestamp()) + 1} for row in rows]
