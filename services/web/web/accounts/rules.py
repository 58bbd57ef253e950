"""Who may manage whose account (pure). Nobody grants beyond their own scope:

- a national admin manages anyone (and keeps the CLI for a kabupaten's first operator);
- a district operator manages the cadres, provider staff and operators their kabupaten manages,
  and creates only those three roles, inside their kabupaten; a new operator waits for a second
  operator's approval;
- a provider organisation's admin manages the staff of their own organisation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Forbidden, ValidationFailed

OPERATOR_MAKES = (Role.VILLAGE_CADRE, Role.PROVIDER_STAFF, Role.DISTRICT_OPERATOR)


@dataclass(frozen=True)
class Manager:
    """The caller, with what their account says beyond the token (a provider's admin flag)."""

    principal: Principal
    org_admin: bool = False


@dataclass(frozen=True)
class Managed:
    """An account as far as the rules need it."""

    role: Role
    managed_in: str | None
    organization_id: uuid.UUID | None


def may_manage(manager: Manager, account: Managed) -> bool:
    principal = manager.principal
    if principal.role is Role.NATIONAL_ADMIN:
        return True
    if principal.role is Role.DISTRICT_OPERATOR:
        return account.role in OPERATOR_MAKES and account.managed_in in principal.regency_codes
    if principal.role is Role.PROVIDER_STAFF and manager.org_admin:
        return account.role is Role.PROVIDER_STAFF and account.organization_id == principal.organization_id
    return False


def require_manager(manager: Manager) -> None:
    principal = manager.principal
    if principal.role in (Role.NATIONAL_ADMIN, Role.DISTRICT_OPERATOR):
        return
    if principal.role is Role.PROVIDER_STAFF and manager.org_admin:
        return
    raise Forbidden("only district operators, national admins and a provider organisation's admins manage accounts")


def managed_in_for(manager: Manager, *, role: Role, regency_code: str | None, village_code: str | None,
                   organization_id: uuid.UUID | None) -> str:
    """The kabupaten that will manage a new account, once the caller may make it; or a refusal."""
    principal = manager.principal
    if principal.role is Role.PROVIDER_STAFF:
        if role is not Role.PROVIDER_STAFF or organization_id not in (None, principal.organization_id):
            raise Forbidden("an organisation's admin makes staff of their own organisation only")
        return regency_code or ""
    if principal.role is Role.DISTRICT_OPERATOR and role not in OPERATOR_MAKES:
        raise Forbidden(f"a district operator makes cadres, provider staff and operators, not {role.value}")
    if role in (Role.ANALYST, Role.INTEGRATION, Role.NATIONAL_ADMIN) and principal.role is not Role.NATIONAL_ADMIN:
        raise Forbidden(f"only a national admin makes a {role.value}")
    if role is Role.VILLAGE_CADRE:
        if not village_code:
            raise ValidationFailed("a cadre needs their desa", field="village_code")
        regency_code = village_code[:5]
    if not regency_code:
        if len(principal.regency_codes) != 1:
            raise ValidationFailed("say which kabupaten manages the account", field="regency_code")
        regency_code = principal.regency_codes[0]
    if principal.role is not Role.NATIONAL_ADMIN and regency_code not in principal.regency_codes:
        raise Forbidden(f"{regency_code} is outside your kabupaten")
    return regency_code
