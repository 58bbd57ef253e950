"""What the visit endpoints accept and return."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from registry.children.schemas import ClassificationOut, LivingArrangement, Work
from sprpa_shared.pagination import Page
from sprpa_shared.text import FreeText

Attendance = Literal["school", "training", "none"]


class VisitCreate(BaseModel):
    """What the cadre saw on the visit."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    visited_on: date
    working: bool
    work: Work | None = Field(default=None, validate_default=True, description="given exactly when working")
    attendance: Attendance
    attending_since: date | None = Field(
        default=None, validate_default=True, description="continuous attendance at school or training since"
    )
    living_arrangement: LivingArrangement | None = None
    notes: FreeText | None = Field(default=None, max_length=2000)

    @field_validator("work")
    @classmethod
    def _work_when_working(cls, work: Work | None, info: ValidationInfo) -> Work | None:
        if "working" in info.data and info.data["working"] != (work is not None):
            raise ValueError("give work exactly when working is true")
        return work

    @field_validator("attending_since")
    @classmethod
    def _attendance_consistent(cls, since: date | None, info: ValidationInfo) -> date | None:
        if since is not None and info.data.get("attendance") == "none":
            raise ValueError("attending_since needs attendance at school or training")
        if since is not None and "visited_on" in info.data and since > info.data["visited_on"]:
            raise ValueError("attending_since cannot be after the visit")
        return since


class VisitPublic(BaseModel):
    id: uuid.UUID
    child_id: uuid.UUID
    visited_on: date
    working: bool
    work: Work | None
    attendance: Attendance
    attending_since: date | None
    living_arrangement: str
    notes: str | None
    classification: ClassificationOut
    outcome: str
    next_visit_due: date | None = Field(description="when the next visit is due: on the child's latest visit in "
                                                    "the child's own list, null elsewhere")
    recorded_at: datetime
    updated_at: datetime = Field(description="when the visit last changed (recorded, moved by a merge, its notes "
                                             "erased)")


class OverdueVisit(BaseModel):
    child_id: uuid.UUID
    full_name: str
    village_code: str
    status: str
    next_visit_due: date
    days_overdue: int


class VisitPage(Page[VisitPublic]):
    pass


class OverdueVisits(Page[OverdueVisit]):
    pass
