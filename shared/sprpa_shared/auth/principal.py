"""Who is calling: a role and the scope it is confined to (places or an organisation)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from sprpa_shared.errors import Forbidden, OutOfScope

SIGNED_IN = "signed_in"  # the scope every token has: for operations about the caller alone

# What an integration client (another system) may be granted; each operation declares the one it
# needs (`needs`), within the client's kabupaten. People act through their role instead.
API_SCOPES = {
    "registry:read": "read children, households, visits, case history and places of the kabupaten",
    "registry:write": "register and update children, households, visits and assessments; flag cases",
    "providers:read": "read the provider directory: organisations, MOUs, offerings (and the HSDS export)",
    "providers:write": "create and update the kabupaten's organisations, MOUs and offerings",
    "referral:read": "read the kabupaten's cases, referrals and service gaps",
    "referral:write": "cancel and re-refer, add and withdraw needs, change the referral settings",
    "reports:read": "read the aggregate reports (no child's data)",
    "reports:write": "enter the district's inputs to the reports (pilot targets, KLA entries)",
    "notify:webhooks": "register webhook endpoints that receive the kabupaten's events, and follow their deliveries",
}


class Role(StrEnum):
    NATIONAL_ADMIN = "national_admin"
    DISTRICT_OPERATOR = "district_operator"
    VILLAGE_CADRE = "village_cadre"
    PROVIDER_STAFF = "provider_staff"
    ANALYST = "analyst"
    INTEGRATION = "integration"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    regency_codes: tuple[str, ...] = ()
    village_code: str | None = None
    organization_id: uuid.UUID | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def covers_place(self, code: str | None) -> bool:
        """Whether a place (province, regency, kecamatan or desa code) lies inside this scope.

        A national admin covers everything; a district operator or integration client its regencies
        (and everything in them); a village cadre only its own desa. Nobody else is placed.
        """
        if self.role is Role.NATIONAL_ADMIN:
            return True
        if not code:
            return False
        if self.role in (Role.DISTRICT_OPERATOR, Role.INTEGRATION, Role.ANALYST):
            return any(code == regency or code.startswith(regency + ".") for regency in self.regency_codes)
        if self.role is Role.VILLAGE_CADRE:
            return code == self.village_code
        return False

    def require_place(self, code: str | None) -> None:
        """Object-level check on a place: outside the scope looks exactly like absent."""
        if not self.covers_place(code):
            raise OutOfScope()

    def is_member_of(self, organization_id: uuid.UUID | None) -> bool:
        return organization_id is not None and self.organization_id == organization_id

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(f"the {self.role.value} role may not do this")

    def has_scope(self, scope: str) -> bool:
        """API scopes matter for integration clients; people act through their role."""
        return self.role is not Role.INTEGRATION or scope == SIGNED_IN or scope in self.scopes
