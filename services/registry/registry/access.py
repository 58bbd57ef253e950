"""Who may see and change which child (DOMAIN.md "Who uses it"; ARCHITECTURE.md "Who may see what").

National admins: everywhere. District operators and integration clients: their kabupaten.
Village cadres: their own desa. Provider staff: only children they hold a live referral for
(fed by referral events; until then, none). Analysts: no child records, only aggregates.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, true
from sqlmodel import col

from registry.children.models import Child
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Forbidden, NotFound, OutOfScope

READ_SCOPE = "registry:read"
WRITE_SCOPE = "registry:write"
PLACED_ROLES = (Role.NATIONAL_ADMIN, Role.DISTRICT_OPERATOR, Role.VILLAGE_CADRE, Role.INTEGRATION)
DISTRICT = (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)  # people who decide for a kabupaten


def can_read(principal: Principal, child: Child) -> bool:
    return can_read_place(principal, child.village_code)


def can_read_place(principal: Principal, village_code: str) -> bool:
    """Whether the caller may read a family's records in this desa (analysts see counts only)."""
    if principal.role not in PLACED_ROLES or not principal.has_scope(READ_SCOPE):
        return False
    return principal.covers_place(village_code)


def require_read(principal: Principal, child: Child | None) -> Child:
    """The child, or 404 whether it is absent or outside the caller's scope."""
    if child is None:
        raise NotFound("no such child")
    if not can_read(principal, child):
        raise OutOfScope("no such child", child_id=child.id)
    return child


def provider_may_read(principal: Principal, live_referral: bool) -> bool:
    return principal.role is Role.PROVIDER_STAFF and principal.organization_id is not None and live_referral


def require_write_in(principal: Principal, village_code: str) -> None:
    """Registering or moving a child into a place the caller does not cover is refused."""
    if principal.role not in PLACED_ROLES or not principal.has_scope(WRITE_SCOPE):
        raise Forbidden(f"the {principal.role.value} role may not record children")
    if not principal.covers_place(village_code):
        raise Forbidden(f"{village_code} is outside your area")


def require_lister(principal: Principal) -> None:
    if principal.role not in PLACED_ROLES or not principal.has_scope(READ_SCOPE):
        raise Forbidden(f"the {principal.role.value} role may not list children")


def scope_filter(principal: Principal) -> ColumnElement[bool]:
    """The SQL condition that keeps a list to live (unmerged, unerased) records inside the caller's scope."""
    return and_(col(Child.merged_into).is_(None), col(Child.erased_at).is_(None), place_filter(principal))


def place_filter(principal: Principal) -> ColumnElement[bool]:
    return area_filter(principal, Child.village_code, Child.regency_code)


def area_filter(principal: Principal, village_code, regency_code) -> ColumnElement[bool]:
    """`place_filter` for another table placed by its own desa and kabupaten columns."""
    if principal.role is Role.NATIONAL_ADMIN:
        return true()
    if principal.role in (Role.DISTRICT_OPERATOR, Role.INTEGRATION):
        return col(regency_code).in_(principal.regency_codes)
    if principal.role is Role.VILLAGE_CADRE and principal.village_code:
        return col(village_code) == principal.village_code
    return false()


def require_district(principal: Principal) -> None:
    """A district operator or a national admin: a person who decides for the kabupaten (a merge,
    an export or erasure, a transfer)."""
    principal.require_role(*DISTRICT)


def require_district_writer_of(principal: Principal, place_code: str) -> None:
    """A district operator (or national admin) who may change records in `place_code`."""
    require_district(principal)
    if not principal.has_scope(WRITE_SCOPE) or not principal.covers_place(place_code):
        raise Forbidden(f"only operators of {place_code} may do this")
