"""What the institution endpoints accept and return."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from registry.children.schemas import PHONE
from sprpa_contracts.vocabulary import AgeBand, InstitutionStatus, InstitutionType, Sex
from sprpa_shared.pagination import Page
from sprpa_shared.schemas import optional_fields
from sprpa_shared.text import PlainText


class MemberCount(BaseModel):
    """Members of one role and sex (and, for a Forum Anak, age band), counted, not named."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: PlainText = Field(min_length=2, max_length=60, description="e.g. ketua, sekretaris, anggota")
    sex: Sex
    age_band: AgeBand | None = None
    count: int = Field(ge=1, le=10_000)


class NamedMember(BaseModel):
    """An adult member who agreed to be named (a child member is only ever counted)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: PlainText = Field(min_length=2, max_length=200)
    role: PlainText = Field(min_length=2, max_length=60)
    phone: str | None = Field(default=None, pattern=PHONE)
    adult: Literal[True] = Field(description="the member is 18 or older")
    agreed: Literal[True] = Field(description="the member agreed to be named in the system")


class InstitutionBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: PlainText = Field(min_length=2, max_length=200, description="e.g. Forum Anak Desa Kesilir")
    status: InstitutionStatus
    formed_on: date | None = None
    decree_number: PlainText | None = Field(default=None, max_length=100, description="the village head's decree "
                                            "(SK Kepala Desa) number")
    decreed_on: date | None = None
    members: list[MemberCount] = Field(default_factory=list, max_length=100)
    named_members: list[NamedMember] = Field(default_factory=list, max_length=100)


class InstitutionCreate(InstitutionBase):
    type: InstitutionType

    @model_validator(mode="after")
    def _consistent(self) -> InstitutionCreate:
        check(self.type, self.status, self.decree_number, self.decreed_on, self.members, self.formed_on)
        return self


InstitutionUpdate = optional_fields(InstitutionBase, "InstitutionUpdate",
                                    "What changed of an institution: its status, decree, members or name.")


def check(type_: str, status: str, decree_number: str | None, decreed_on: date | None, members: list,
          formed_on: date | None) -> None:
    if status == InstitutionStatus.DECREED and not (decree_number and decreed_on):
        raise ValueError("a decreed institution needs its decree's number and date")
    if (decree_number is None) != (decreed_on is None):
        raise ValueError("give the decree's number and date together")
    if decreed_on and formed_on and decreed_on < formed_on:
        raise ValueError("the decree cannot be before the institution was formed")
    if type_ == InstitutionType.FAD and any(member.age_band is None for member in members):
        raise ValueError("a Forum Anak's members are counted by age band")


class InstitutionPublic(BaseModel):
    id: uuid.UUID
    village_code: str
    type: InstitutionType
    name: str
    status: InstitutionStatus
    formed_on: date | None
    decree_number: str | None
    decreed_on: date | None
    members: list[MemberCount]
    member_total: int
    named_members: list[NamedMember]
    version: int
    updated_at: datetime


class InstitutionChange(BaseModel):
    at: datetime
    actor: str
    from_status: InstitutionStatus | None
    to_status: InstitutionStatus
    decree_number: str | None
    decreed_on: date | None
    members: int


class InstitutionList(Page[InstitutionPublic]):
    """The desa's institutions (all on one page)."""


class InstitutionHistoryList(Page[InstitutionChange]):
    """Every change of the institution, oldest first (all on one page)."""


class ReadinessItem(BaseModel):
    type: InstitutionType
    exists: bool
    status: InstitutionStatus | None
    decreed: bool
    active: bool


class Readiness(BaseModel):
    """Which of the desa's institutions exist, have legal standing, and work."""

    village_code: str
    institutions: list[ReadinessItem] = Field(description="one per type of the fixed list")
    formed: int
    decreed: int
    active: int
    ready: bool = Field(description="every institution of the fixed list exists and is active")
