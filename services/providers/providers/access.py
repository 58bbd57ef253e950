"""Who may change the directory: national admins everywhere, district operators in their kabupaten,
and a kabupaten's directory system (an integration client with `providers:write`, which `needs`
checks) in that kabupaten. Naming the backbone organisation stays a person's decision.

Anyone authenticated may read it (it is what cadres, operators and providers search)."""

from __future__ import annotations

from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Forbidden


def require_manager_of(principal: Principal, regency_code: str) -> None:
    if principal.role not in (Role.NATIONAL_ADMIN, Role.DISTRICT_OPERATOR, Role.INTEGRATION):
        raise Forbidden(f"the {principal.role.value} role may not change the directory")
    if not principal.covers_place(regency_code):
        raise Forbidden(f"{regency_code} is outside your area")
