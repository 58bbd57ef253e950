"""What the children API accepts and returns, per role."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from registry.classification.rules import Hazard, WorstForm
from sprpa_contracts.vocabulary import Sex
from sprpa_shared.errors import FieldError
from sprpa_shared.pagination import Page
from sprpa_shared.schemas import optional_fields
from sprpa_shared.text import PlainText

VILLAGE_CODE = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"
PHONE = r"^\+?[0-9][0-9 -]{6,18}[0-9]$"  # 0812-3456-7890, +62 812 3456 7890
# equivalency: in a non-formal equivalency programme (Kejar Paket A/B/C), which counts as schooling.
SchoolStatus = Literal["in_school", "equivalency", "out_of_school", "never_enrolled"]
# How the child came to the programme's notice (the field reports group children by it).
IdentifiedThrough = Literal["outreach", "school", "raid", "partner_ngo", "self_family", "other"]
LivingArrangement = Literal["with_family", "extended_family", "alternative_care", "independent", "street"]


class MappingCategory(StrEnum):
    CHILD_LABOUR = "child_labour"
    AT_RISK = "at_risk"
    DISABILITY = "disability"
    SPECIAL_NEEDS = "special_needs"
    SINGLE_PARENT = "single_parent"
    ORPHAN = "orphan"
    POTENTIAL = "potential"


class Sector(StrEnum):
    AGRICULTURE = "agriculture"
    TOBACCO = "tobacco"
    PLANTATION = "plantation"
    FISHING = "fishing"
    LIVESTOCK = "livestock"
    DOMESTIC = "domestic"
    TRADE = "trade"
    MANUFACTURING = "manufacturing"
    CONSTRUCTION = "construction"
    MINING = "mining"
    TRANSPORT = "transport"
    STREET = "street"
    SERVICES = "services"
    OTHER = "other"


class Work(BaseModel):
    """The work a child does; null when the child does not work."""

    model_config = ConfigDict(extra="forbid")

    sector: Sector
    hours_per_day: float = Field(ge=0, le=24)
    hours_per_week: float = Field(ge=0, le=168)
    night_work: bool = False
    during_school_hours: bool = False
    parental_consent: bool = False
    hazards: list[Hazard] = Field(default_factory=list, max_length=len(Hazard))
    worst_forms: list[WorstForm] = Field(default_factory=list, max_length=len(WorstForm))

    @model_validator(mode="after")
    def _hours_agree(self) -> Work:
        if self.hours_per_week > self.hours_per_day * 7:
            raise FieldError("hours_per_week", "hours_per_week cannot exceed 7 times hours_per_day")
        return self


class ChildBase(BaseModel):
    """What a cadre or operator records about a child: declared once here, and every shape of the
    child the API takes or gives derives from it (the table is `models.Child`; the import's staging
    row and the child's events take their fields from these by name)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: PlainText = Field(min_length=1, max_length=200)
    sex: Sex
    birth_date: date
    nik: str | None = Field(default=None, max_length=32, description="16 digits; checked against birth date and sex")
    village_code: str = Field(pattern=VILLAGE_CODE, description="Kemendagri desa/kelurahan code")
    household_id: uuid.UUID | None = None
    school_status: SchoolStatus
    living_arrangement: LivingArrangement = "with_family"
    mapping_categories: list[MappingCategory] = Field(default_factory=list, max_length=len(MappingCategory))
    work: Work | None = None
    identified_through: IdentifiedThrough | None = Field(
        default=None, description="outreach (cadres, survey), school, raid (with Dinsos/Satpol PP), partner_ngo, "
                                  "self_family, other")


class ChildCreate(ChildBase):
    """A child of concern, as a cadre or operator records them. Server-owned fields are refused."""


ChildUpdate = optional_fields(
    ChildBase, "ChildUpdate", "Fields to change (all optional); needs If-Match with the child's ETag.")


class ReasonOut(BaseModel):
    code: str
    text: str


class ClassificationOut(BaseModel):
    result: str
    rules_version: str
    reasons: list[ReasonOut]


class ChildPublic(ChildBase):
    """The full record, for those whose place covers the child."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    full_name: str = Field(description="empty once the personal data is erased")
    id: uuid.UUID
    age: int
    district_code: str
    regency_code: str
    province_code: str
    root_causes: list[str]
    classification: ClassificationOut
    status: str
    next_visit_due: date | None
    version: int
    created_at: datetime
    updated_at: datetime
    merged_into: uuid.UUID | None = Field(default=None, description="the record this one was merged into (a list "
                                                                    "of changes shows merged records once more)")
    erased_at: datetime | None = Field(default=None, description="when the personal data was erased (a list of "
                                                                 "changes shows the anonymised record once more)")


class RouteToFamily(BaseModel):
    """One way to reach the child's family: the desa's cadre or facilitator, or the guardian
    (only when the guardian's consent covers sharing it with the provider)."""

    route: Literal["cadre", "facilitator", "guardian"]
    name: str
    phone: str | None = None
    relation: str | None = Field(default=None, description="the guardian's relation to the child")


class ChildForProvider(BaseModel):
    """The minimum a provider needs to serve the child: no NIK, household, work details or notes."""

    id: uuid.UUID
    full_name: str
    sex: Sex
    age: int
    village_code: str
    school_status: SchoolStatus
    living_arrangement: LivingArrangement
    routes_to_family: list[RouteToFamily] = Field(
        default_factory=list, description="how to reach the family: the desa's cadre or facilitator the district "
        "named, and the guardian when the consent covers sharing their contact with the provider")


class PossibleDuplicate(BaseModel):
    child_id: uuid.UUID
    score: float
    reasons: list[str]


class ChildCreated(ChildPublic):
    """The new record, and records in your area that may be the same child (merge them if so)."""

    possible_duplicates: list[PossibleDuplicate]


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicate_id: uuid.UUID


class ChildPage(Page[ChildPublic]):
    pass


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    village_code: str = Field(pattern=VILLAGE_CODE)
    head_name: PlainText | None = Field(default=None, max_length=200)
    address: PlainText | None = Field(default=None, max_length=500)


class HouseholdPublic(BaseModel):
    id: uuid.UUID
    village_code: str
    head_name: str | None
    address: str | None
    created_at: datetime


class PossibleDuplicates(Page[PossibleDuplicate]):
    pass
