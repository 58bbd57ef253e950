"""What the directory API accepts and returns."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from sprpa_contracts.catalogue import SERVICE_CODES
from sprpa_shared.pagination import Page
from sprpa_shared.text import FreeText, PlainText

REGENCY_CODE = r"^\d{2}\.\d{2}$"


def regency_codes(codes: list[str]) -> list[str]:
    bad = [code for code in codes if not re.fullmatch(REGENCY_CODE, code)]
    if bad:
        raise ValueError(f"not kabupaten codes: {', '.join(bad)}")
    return codes


class Kind(StrEnum):
    GOVERNMENT_OFFICE = "government_office"
    UPTD_P2TP2A = "uptd_p2tp2a"
    NGO = "ngo"
    COMPANY = "company"
    SCHOOL_PKBM = "school_pkbm"
    HEALTH_FACILITY = "health_facility"
    LEGAL_AID = "legal_aid"


class Contacts(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    person: PlainText | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40, pattern=r"^\+?[0-9 ()-]{6,40}$")
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: PlainText | None = Field(default=None, max_length=500)


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: PlainText = Field(min_length=2, max_length=200)
    kind: Kind
    regency_code: str = Field(pattern=REGENCY_CODE, description="the kabupaten/kota it is based in")
    contacts: Contacts = Field(default_factory=Contacts)
    backbone_for: list[str] = Field(default_factory=list, max_length=20,
                                    description="kabupaten codes where it is the backbone organisation")

    @field_validator("backbone_for")
    @classmethod
    def _backbone(cls, codes: list[str]) -> list[str]:
        return regency_codes(codes)


class OrganizationUpdate(BaseModel):
    """Fields to change (all optional); needs If-Match with the organisation's ETag."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: PlainText | None = Field(default=None, min_length=2, max_length=200)
    kind: Kind | None = None
    contacts: Contacts | None = None
    backbone_for: list[str] | None = Field(default=None, max_length=20)

    @field_validator("backbone_for")
    @classmethod
    def _backbone(cls, codes: list[str] | None) -> list[str] | None:
        return None if codes is None else regency_codes(codes)


class OrganizationPublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: Kind
    regency_code: str
    contacts: Contacts
    backbone_for: list[str]
    is_demo: bool
    version: int
    created_at: datetime
    updated_at: datetime


class OrganizationPage(Page[OrganizationPublic]):
    pass


class MouCreate(BaseModel):
    """An MOU between the organisation and a kabupaten; its status follows the dates."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    number: PlainText = Field(min_length=1, max_length=100)
    regency_code: str = Field(pattern=REGENCY_CODE)
    signed_date: date | None = None
    valid_from: date
    valid_until: date
    service_categories: list[str] = Field(min_length=1, max_length=len(SERVICE_CODES))

    @field_validator("service_categories")
    @classmethod
    def _known(cls, codes: list[str]) -> list[str]:
        unknown = sorted(set(codes) - SERVICE_CODES)
        if unknown:
            raise ValueError(f"unknown service catalogue code(s): {', '.join(unknown)}")
        return sorted(set(codes))

    @field_validator("valid_until")
    @classmethod
    def _after_start(cls, until: date, info: ValidationInfo) -> date:
        if "valid_from" in info.data and until < info.data["valid_from"]:
            raise ValueError("valid_until is before valid_from")
        return until


class MouTermination(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    terminated_on: date
    reason: FreeText = Field(min_length=5, max_length=500)


class MouPublic(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    number: str
    regency_code: str
    signed_date: date | None
    valid_from: date
    valid_until: date
    service_categories: list[str]
    terminated_on: date | None
    status: str
    renews_id: uuid.UUID | None = Field(default=None, description="the MOU this one renews")


class MouRenewal(BaseModel):
    """A new MOU continuing one: the same kabupaten, from the day after the old one ends."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    number: PlainText = Field(min_length=1, max_length=100)
    signed_date: date | None = None
    valid_until: date
    service_categories: list[str] | None = Field(default=None, max_length=len(SERVICE_CODES),
                                                 description="omitted: the same as the MOU renewed")

    @field_validator("service_categories")
    @classmethod
    def _known(cls, codes: list[str] | None) -> list[str] | None:
        return None if codes is None else MouCreate._known(codes)


class MouList(Page[MouPublic]):
    pass
