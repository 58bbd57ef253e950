"""Rules of the local issuer: who may log in, with which role and scope, and with which key we sign."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.auth.principal import API_SCOPES, Principal, Role
from sprpa_shared.auth.signing import SigningKey, jwks
from sprpa_shared.errors import Conflict, ValidationFailed
from web.accounts import passwords
from web.issuer.models import ApiClient, SigningKeyRow, User

_hasher = PasswordHasher()
# Verifying against this keeps the time of an unknown username equal to a wrong password's.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))


def validate_scope(
    role: Role, *, regency_codes: list[str], village_code: str | None, organization_id: uuid.UUID | None
) -> None:
    """Each role needs the scope DOMAIN.md gives it, and no other."""
    if role in (Role.DISTRICT_OPERATOR, Role.INTEGRATION) and not regency_codes:
        raise ValidationFailed(f"a {role.value} needs at least one regency code", field="regency_codes")
    if role is Role.VILLAGE_CADRE and not village_code:
        raise ValidationFailed("a village_cadre needs a village code", field="village_code")
    if role is Role.PROVIDER_STAFF and organization_id is None:
        raise ValidationFailed("provider_staff needs an organisation id", field="organization_id")
    for code in regency_codes:
        if len(code.split(".")) != 2:
            raise ValidationFailed(f"{code!r} is not a kabupaten/kota code like 35.09", field="regency_codes")
    if village_code and len(village_code.split(".")) != 4:
        raise ValidationFailed(f"{village_code!r} is not a desa code like 35.09.11.2007", field="village_code")


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: Role,
    regency_codes: list[str] = (),
    village_code: str | None = None,
    organization_id: uuid.UUID | None = None,
) -> User:
    if problem := passwords.problem(password, username=username):
        raise ValidationFailed(f"password: {problem}", field="password")
    validate_scope(role, regency_codes=list(regency_codes), village_code=village_code, organization_id=organization_id)
    if (await session.exec(select(User).where(User.username == username))).first():
        raise Conflict(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash=_hasher.hash(password),
        role=role.value,
        regency_codes=list(regency_codes),
        village_code=village_code,
        organization_id=organization_id,
        managed_in=(list(regency_codes)[:1] or [village_code[:5] if village_code else None])[0],
    )
    session.add(user)
    await session.flush()
    return user


async def create_client(
    session: AsyncSession,
    *,
    client_id: str,
    role: Role,
    regency_codes: list[str] = (),
    organization_id: uuid.UUID | None = None,
    scopes: list[str] = (),
) -> tuple[ApiClient, str]:
    """Register an API client; returns it with its secret, shown this once and stored hashed."""
    validate_scope(role, regency_codes=list(regency_codes), village_code=None, organization_id=organization_id)
    if unknown := sorted(set(scopes) - set(API_SCOPES)):
        raise ValidationFailed(f"unknown scopes: {', '.join(unknown)}; known: {', '.join(sorted(API_SCOPES))}",
                               field="scopes")
    if (await session.exec(select(ApiClient).where(ApiClient.client_id == client_id))).first():
        raise Conflict(f"client {client_id!r} already exists")
    secret = secrets.token_urlsafe(32)
    client = ApiClient(
        client_id=client_id,
        secret_hash=_hasher.hash(secret),
        role=role.value,
        regency_codes=list(regency_codes),
        organization_id=organization_id,
        scopes=list(scopes),
    )
    session.add(client)
    await session.flush()
    return client, secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def unusable_hash() -> str:
    """A hash nobody knows the password of: an account made by the district, until the person sets theirs."""
    return _hasher.hash(secrets.token_urlsafe(32))


def _verify(hash_: str, secret: str) -> bool:
    try:
        return _hasher.verify(hash_, secret)
    except (VerificationError, InvalidHashError):
        return False


async def authenticate_user(session: AsyncSession, *, username: str, password: str) -> tuple[Principal | None, str]:
    """(the user's principal or None, what happened: ok, unknown, disabled, bad_password). Failures
    slow down the address they come from (issuer router), never lock the account."""
    user = (await session.exec(select(User).where(User.username == username).with_for_update())).first()
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None, "unknown"
    if user.disabled or user.pending_approval:
        _verify(_DUMMY_HASH, password)
        return None, "disabled" if user.disabled else "awaiting_approval"
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        session.add(user)
        return None, "bad_password"
    user.failed_logins = 0
    session.add(user)
    return Principal(
        subject=str(user.id),
        role=Role(user.role),
        regency_codes=tuple(user.regency_codes),
        village_code=user.village_code,
        organization_id=user.organization_id,
    ), "ok"


async def authenticate_client(session: AsyncSession, *, client_id: str, secret: str) -> Principal | None:
    client = (await session.exec(select(ApiClient).where(ApiClient.client_id == client_id))).first()
    if client is None or client.disabled:
        _verify(_DUMMY_HASH, secret)
        return None
    if not _verify(client.secret_hash, secret):
        return None
    return Principal(
        subject=f"client:{client.client_id}",
        role=Role(client.role),
        regency_codes=tuple(client.regency_codes),
        organization_id=client.organization_id,
        scopes=frozenset(client.scopes),
    )


async def _live_rows(session: AsyncSession) -> list[SigningKeyRow]:
    """Keys not retired, newest first."""
    query = (
        select(SigningKeyRow)
        .where(col(SigningKeyRow.retired_at).is_(None))
        .order_by(col(SigningKeyRow.created_at).desc())
    )
    return list((await session.exec(query)).all())


async def _live_keys(session: AsyncSession, secret_key: str) -> list[SigningKey]:
    fernet = _fernet(secret_key)
    return [SigningKey(kid=row.kid, private_pem=fernet.decrypt(row.private_pem_encrypted.encode()))
            for row in await _live_rows(session)]


async def rotate_key(session: AsyncSession, *, secret_key: str, now: datetime) -> SigningKey:
    """A new signing key; older live keys stay in the JWKS so tokens they signed still verify."""
    key = SigningKey.generate()
    encrypted = _fernet(secret_key).encrypt(key.private_pem).decode()
    session.add(SigningKeyRow(kid=key.kid, private_pem_encrypted=encrypted, created_at=now))
    await session.flush()
    return key


async def retire_keys_except_newest(session: AsyncSession, *, now: datetime) -> int:
    rows = await _live_rows(session)
    for row in rows[1:]:
        row.retired_at = now
        session.add(row)
    return len(rows[1:])


async def signing_key(session: AsyncSession, *, secret_key: str, now: datetime) -> SigningKey:
    """The newest live key, created on first use."""
    keys = await _live_keys(session, secret_key)
    return keys[0] if keys else await rotate_key(session, secret_key=secret_key, now=now)


async def published_jwks(session: AsyncSession, *, secret_key: str) -> dict:
    return jwks(await _live_keys(session, secret_key))
