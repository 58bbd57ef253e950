"""What the referral API takes and gives."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from referral.rules.lifecycle import ENGINE_ONLY, CancelReason, DeclineReason, Outcome, Status
from sprpa_shared.errors import FieldError
from sprpa_shared.pagination import Page
from sprpa_shared.text import FreeText


class _WithOther(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: FreeText | None = Field(default=None, max_length=1000, description="required when the code is `other`")

    def _code(self) -> str:
        raise NotImplementedError

    @model_validator(mode="after")
    def _other_needs_text(self):
        if self._code() == "other" and not self.text:
            raise FieldError("text", "say in `text` what the other reason is")
        return self


_ON = Field(default=None, description="the day it happened, when entered later (paper first, typed later): not in "
                                      "the future, not before the offer; reports count it on that day. Default: today")


class DatedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: date | None = _ON


class DeclineIn(_WithOther):
    reason: DeclineReason

    def _code(self) -> str:
        return self.reason.value


class CompleteIn(_WithOther):
    outcome: Outcome
    on: date | None = _ON
    sessions: int | None = Field(default=None, ge=1, le=1000,
                                 description="how many sessions were delivered (counselling, tutoring, a course)")

    def _code(self) -> str:
        return self.outcome.value


class CancelIn(_WithOther):
    reason: CancelReason

    @field_validator("reason")
    @classmethod
    def _not_the_engines_own(cls, reason: CancelReason) -> CancelReason:
        if reason in ENGINE_ONLY:
            raise ValueError(f"{reason.value} is set by the engine itself, never by hand")
        return reason

    def _code(self) -> str:
        return self.reason.value


class ReReferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offering_id: uuid.UUID = Field(description="the service (offering) to send the need to")


class ReferralPublic(BaseModel):
    """A referral as its provider and the district see it: ids, codes and dates; no name, no NIK."""

    id: uuid.UUID
    case_id: uuid.UUID
    need_id: uuid.UUID
    child_id: uuid.UUID = Field(description="read the child from the registry while the referral is live")
    village_code: str
    category: str
    organization_id: uuid.UUID
    offering_id: uuid.UUID | None
    backbone: bool
    area: str | None = Field(description="how close the offering's area is: desa, kecamatan or kabupaten")
    status: Status
    offered_at: datetime
    deadline: datetime | None = Field(description="answer by then or the offer expires (open offers only); a UTC "
                                                  "instant, to show in `time_zone`")
    time_zone: Literal["WIB", "WITA", "WIT"] = Field(default="WIB", description="the legal time of the child's "
                                                     "kabupaten, in which people read the deadline")
    answered_at: datetime | None = Field(description="when the answer was entered")
    started_at: datetime | None = Field(description="when the start was entered")
    ended_at: datetime | None = Field(description="when the end was entered")
    accepted_on: date | None = Field(default=None, description="the day it was accepted, as the provider gave it")
    started_on: date | None = Field(default=None, description="the day the service started")
    ended_on: date | None = Field(default=None, description="the day it ended (the service was delivered)")
    sessions: int | None = Field(default=None, description="sessions delivered, as the provider reported them")
    reason: str | None = Field(description="decline or cancel reason code")
    reason_text: str | None
    outcome: Outcome | None
    child_age: int | None = None
    child_sex: str | None = None
    updated_at: datetime | None = Field(default=None, description="when the referral last changed")


class ReferralPage(Page[ReferralPublic]):
    pass
