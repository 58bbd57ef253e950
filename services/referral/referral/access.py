"""Who may see and act on which referral (DOMAIN.md "Who uses it").

- Provider staff: only referrals addressed to their organisation; they answer and serve them.
- District operators (and integration clients with the scope): every case and referral of
  their kabupaten; they change its settings, cancel and re-refer.
- National admins: everywhere. Village cadres: read the cases of their own desa.
- Analysts: no case or referral, only the aggregates of the reports service.

Outside the scope looks exactly like absent: 404, never 403, for an id.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true
from sqlmodel import col

from referral.models import Case, Referral
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Forbidden, NotFound, OutOfScope

READ_SCOPE = "referral:read"
WRITE_SCOPE = "referral:write"
DISTRICT_ROLES = (Role.NATIONAL_ADMIN, Role.DISTRICT_OPERATOR, Role.INTEGRATION)


def is_district(principal: Principal, place_code: str, *, write: bool = False) -> bool:
    if principal.role not in DISTRICT_ROLES or not principal.has_scope(WRITE_SCOPE if write else READ_SCOPE):
        return False
    return principal.covers_place(place_code)


def require_district(principal: Principal, regency_code: str) -> None:
    """For routes naming a kabupaten (not an object): 403 with the reason."""
    if principal.role not in DISTRICT_ROLES:
        raise Forbidden(f"the {principal.role.value} role may not do this")
    if not principal.covers_place(regency_code):
        raise Forbidden(f"{regency_code} is outside your area")


def can_read_case(principal: Principal, village_code: str) -> bool:
    if principal.role is Role.VILLAGE_CADRE:
        return principal.covers_place(village_code)
    return is_district(principal, village_code)


def can_read_referral(principal: Principal, referral: Referral) -> bool:
    if principal.role is Role.PROVIDER_STAFF:
        return principal.is_member_of(referral.organization_id)
    return is_district(principal, referral.village_code)


def require_referral(principal: Principal, referral: Referral | None) -> Referral:
    if referral is None:
        raise NotFound("no such referral")
    if not can_read_referral(principal, referral):
        raise OutOfScope("no such referral", child_id=referral.child_id, object_id=referral.id)
    return referral


def require_provider_of(principal: Principal, referral: Referral) -> None:
    """Answering and serving an offer is the addressed organisation's staff's work."""
    if not (principal.role is Role.PROVIDER_STAFF and principal.is_member_of(referral.organization_id)):
        raise Forbidden("only the staff of the organisation the referral is addressed to may do this")


def require_district_writer(principal: Principal, village_code: str) -> None:
    if not is_district(principal, village_code, write=True):
        raise Forbidden("only the kabupaten's operators may do this")


def case_filter(principal: Principal) -> ColumnElement[bool]:
    """A list keeps only the cases the caller may read (`can_read_case`); provider staff read referrals."""
    if principal.role is Role.NATIONAL_ADMIN:
        return true()
    if principal.role is Role.VILLAGE_CADRE and principal.village_code:
        return col(Case.village_code) == principal.village_code
    if principal.role in (Role.DISTRICT_OPERATOR, Role.INTEGRATION) and principal.has_scope(READ_SCOPE):
        return col(Case.regency_code).in_(principal.regency_codes)
    return false()


def referral_filter(principal: Principal) -> ColumnElement[bool]:
    """A list keeps only the referrals inside the caller's scope."""
    if principal.role is Role.PROVIDER_STAFF and principal.organization_id is not None:
        return col(Referral.organization_id) == principal.organization_id
    if principal.role is Role.NATIONAL_ADMIN:
        return true()
    if principal.role in (Role.DISTRICT_OPERATOR, Role.INTEGRATION) and principal.has_scope(READ_SCOPE):
        return col(Referral.regency_code).in_(principal.regency_codes)
    return false()
