"""What the activity endpoints accept and return."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from registry.children.schemas import VILLAGE_CODE
from sprpa_contracts.events import AttendanceCount
from sprpa_contracts.vocabulary import ActivityKind
from sprpa_shared.pagination import Page
from sprpa_shared.text import PlainText


class ActivityCreate(BaseModel):
    """A community activity in a desa: a one-off (a socialisation in a school) or a recurring group
    activity (a Forum Anak, an after-school group) whose attendance is recorded per session."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    village_code: str = Field(pattern=VILLAGE_CODE)
    kind: ActivityKind
    topic: PlainText = Field(min_length=2, max_length=300, description="what it is about, e.g. 'Bahaya kerja di "
                             "ladang tembakau'; never a child's name")
    recurring: bool = Field(default=False, description="a group that meets again and again; attendance per session")
    organiser_institution_id: uuid.UUID | None = Field(default=None, description="a village institution of the "
                                                       "desa that organises it")
    organiser_organization_id: uuid.UUID | None = Field(default=None, description="a provider that organises it")

    @model_validator(mode="after")
    def _one_organiser(self) -> ActivityCreate:
        if self.organiser_institution_id and self.organiser_organization_id:
            raise ValueError("give the organiser as an institution or an organisation, not both")
        return self


class ActivityPublic(BaseModel):
    id: uuid.UUID
    village_code: str
    kind: ActivityKind
    topic: str
    recurring: bool
    organiser_institution_id: uuid.UUID | None
    organiser_organization_id: uuid.UUID | None
    sessions: int = Field(description="sessions recorded so far")
    created_at: datetime


class SessionCreate(BaseModel):
    """One session and who took part: anonymous participants counted by sex and age band, and the
    registered children of the desa by id."""

    model_config = ConfigDict(extra="forbid")

    held_on: date
    anonymous: list[AttendanceCount] = Field(default_factory=list, max_length=8)
    child_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _someone(self) -> SessionCreate:
        pairs = [(count.sex, count.age_band) for count in self.anonymous]
        if len(pairs) != len(set(pairs)):
            raise ValueError("give each sex and age band once in anonymous")
        if len(self.child_ids) != len(set(self.child_ids)):
            raise ValueError("a child is listed twice in child_ids")
        if not self.anonymous and not self.child_ids:
            raise ValueError("a session needs its participants: anonymous counts, registered children or both")
        return self


class SessionPublic(BaseModel):
    id: uuid.UUID
    activity_id: uuid.UUID
    held_on: date
    anonymous: list[AttendanceCount]
    anonymous_total: int
    child_ids: list[uuid.UUID]
    recorded_at: datetime


class ActivityPage(Page[ActivityPublic]):
    pass


class SessionPage(Page[SessionPublic]):
    pass
