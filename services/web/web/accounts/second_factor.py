"""The second factor (TOTP, RFC 6238) of operators and admins: optional, and required when their
kabupaten turns it on. The secret is kept encrypted with the service's key; a code is accepted in
its 30-second step or the one beside it, and once (a replayed code is refused)."""

from __future__ import annotations

from datetime import datetime

import pyotp
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Forbidden, ValidationFailed
from web.issuer.models import User
from web.issuer.service import _fernet

ROLES = (Role.DISTRICT_OPERATOR.value, Role.NATIONAL_ADMIN.value)
ISSUER = "SPRPA"
_REQUIRED = text("SELECT bool_or(totp_required) FROM regency_security WHERE regency_code = ANY (:regencies)")
_SET = text("""
INSERT INTO regency_security (regency_code, totp_required, changed_by, changed_at)
VALUES (:regency, :required, :by, :at)
ON CONFLICT (regency_code) DO UPDATE SET totp_required = EXCLUDED.totp_required, changed_by = EXCLUDED.changed_by,
    changed_at = EXCLUDED.changed_at
""")


def start(user: User, *, secret_key: str) -> tuple[str, str]:
    """A new secret, not in force until a code from it is confirmed; its key and otpauth URI."""
    if user.role not in ROLES:
        raise Forbidden("a second factor is for operators and admins")
    secret = pyotp.random_base32()
    user.totp_secret, user.totp_enabled, user.totp_last_step = _fernet(secret_key).encrypt(secret.encode()).decode(), \
        False, None
    return secret, pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def accept(user: User, code: str, *, secret_key: str, now: datetime) -> bool:
    """Whether the code is the user's for now (its step or the one beside it), not used before."""
    if not user.totp_secret or not code.strip().isdigit():
        return False
    totp = pyotp.TOTP(_fernet(secret_key).decrypt(user.totp_secret.encode()).decode())
    for drift in (0, -1, 1):
        at = now.timestamp() + drift * totp.interval
        step = int(at // totp.interval)
        if totp.verify(code.strip(), for_time=int(at)) and step > (user.totp_last_step or -1):
            user.totp_last_step = step
            return True
    return False


def confirm(user: User, code: str, *, secret_key: str, now: datetime) -> None:
    if not accept(user, code, secret_key=secret_key, now=now):
        raise ValidationFailed("this code is not the one your authenticator shows now", field="code")
    user.totp_enabled = True


async def required(session: AsyncSession, user: User) -> bool:
    """Whether the person's kabupaten requires a second factor of its operators."""
    if user.role not in ROLES or not user.regency_codes:
        return False
    return bool((await (await session.connection()).execute(_REQUIRED, {"regencies": user.regency_codes})).scalar())


async def set_required(session: AsyncSession, principal: Principal, *, regency_code: str, required: bool,
                       now: datetime) -> None:
    if principal.role not in (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN) or not principal.covers_place(regency_code):
        raise Forbidden("an operator of the kabupaten decides whether its operators need a second factor")
    await (await session.connection()).execute(_SET, {"regency": regency_code, "required": required,
                                                      "by": principal.subject, "at": now})
