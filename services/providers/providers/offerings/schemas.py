"""What the offerings API accepts and returns."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from providers.organizations.schemas import REGENCY_CODE
from sprpa_contracts.catalogue import CourseType, ServiceCode
from sprpa_shared.text import PlainText

AREA_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}(\.\d{4})?$")


class OfferingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    organization_id: uuid.UUID
    category: ServiceCode
    name: PlainText = Field(min_length=2, max_length=200)
    regency_code: str = Field(pattern=REGENCY_CODE)
    service_area: list[str] = Field(default_factory=list, max_length=500,
                                    description="kecamatan or desa codes inside the kabupaten; empty = all of it")
    min_age: int = Field(default=0, ge=0, le=17)
    max_age: int = Field(default=17, ge=0, le=17)
    sexes: list[Literal["female", "male"]] = Field(default_factory=list, description="empty = both")
    capacity: int = Field(ge=0, le=100_000, description="open referrals it can hold")
    languages: list[str] = Field(default_factory=lambda: ["id"], max_length=10)
    schedule: PlainText | None = Field(default=None, max_length=500)
    course_type: CourseType | None = Field(default=None, validate_default=True)

    @field_validator("service_area")
    @classmethod
    def _area(cls, codes: list[str], info: ValidationInfo) -> list[str]:
        regency = info.data.get("regency_code")
        bad = [c for c in codes if not AREA_CODE.match(c) or (regency and not c.startswith(regency + "."))]
        if bad:
            raise ValueError(f"not kecamatan or desa codes of the kabupaten: {', '.join(bad)}")
        return sorted(set(codes))

    @field_validator("max_age")
    @classmethod
    def _range(cls, max_age: int, info: ValidationInfo) -> int:
        if "min_age" in info.data and max_age < info.data["min_age"]:
            raise ValueError("max_age is below min_age")
        return max_age

    @field_validator("course_type")
    @classmethod
    def _course(cls, course: str | None, info: ValidationInfo) -> str | None:
        vocational = info.data.get("category") == "skills.vocational_course"
        if vocational and course is None:
            raise ValueError("a vocational course needs its course_type")
        if not vocational and course is not None:
            raise ValueError("course_type is only for skills.vocational_course")
        return course


class CapacityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: int = Field(ge=0, le=100_000)


class OfferingPublic(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    category: str
    name: str
    regency_code: str
    service_area: list[str]
    min_age: int
    max_age: int
    sexes: list[str]
    capacity: int
    open_referrals: int
    languages: list[str]
    schedule: str | None
    course_type: str | None
    version: int
    updated_at: datetime


class Excluded(BaseModel):
    offering: OfferingPublic
    reasons: list[str]


class SearchResult(BaseModel):
    items: list[OfferingPublic]
    next_cursor: str | None = Field(default=None, description="always null: a kabupaten's offerings come on one page")
    excluded: list[Excluded] | None = Field(default=None, description="with explain=true")
