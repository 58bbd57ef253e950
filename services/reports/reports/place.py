"""The place a report is for (national, province, kabupaten, kecamatan, desa) and its SQL filter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Forbidden, ValidationFailed

LEVELS = ("nasional", "provinsi", "kabupaten", "kecamatan", "desa")
CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
READ_SCOPE = "reports:read"
REPORT_ROLES = (Role.NATIONAL_ADMIN, Role.DISTRICT_OPERATOR, Role.ANALYST, Role.INTEGRATION, Role.VILLAGE_CADRE)


@dataclass(frozen=True)
class Place:
    code: str | None  # None: the whole country

    @property
    def level(self) -> str:
        return LEVELS[0] if self.code is None else LEVELS[self.code.count(".") + 1]

    @property
    def pattern(self) -> str:
        """LIKE pattern on village codes: the desa itself, or every desa below the place."""
        if self.code is None:
            return "%"
        return self.code if self.level == "desa" else f"{self.code}.%"

    @property
    def regency_pattern(self) -> str | None:
        """LIKE pattern on kabupaten codes when the place is whole kabupaten (one, a province's,
        the country's); None for a kecamatan or a desa."""
        if self.level in ("kecamatan", "desa"):
            return None
        return "%" if self.code is None else self.code if self.level == "kabupaten" else f"{self.code}.%"

    @property
    def child_level(self) -> tuple[str, int] | None:
        """The level one below (name, code length) for 'by place' breakdowns; None under a desa."""
        return {"nasional": ("provinsi", 2), "provinsi": ("kabupaten", 5), "kabupaten": ("kecamatan", 8),
                "kecamatan": ("desa", 13)}.get(self.level)

    def to_json(self) -> dict:
        return {"code": self.code, "level": self.level}


def parse(code: str | None) -> Place:
    if code is not None and not CODE.match(code):
        raise ValidationFailed("place must be an official code: 35, 35.09, 35.09.11 or 35.09.11.2007", field="place")
    return Place(code)


def authorise(principal: Principal, place: Place) -> None:
    """Reports are aggregates, still only of the caller's own area (403 with the reason)."""
    if principal.role not in REPORT_ROLES or not principal.has_scope(READ_SCOPE):
        raise Forbidden(f"the {principal.role.value} role may not read reports")
    if principal.role is Role.NATIONAL_ADMIN:
        return
    if place.code is None or not principal.covers_place(place.code):
        raise Forbidden("name a place inside your area (e.g. place=" +
                        (principal.regency_codes[0] if principal.regency_codes else principal.village_code or "")
                        + ")")


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def to_json(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}
