"""The district's view of a case: its needs, each need's referrals and gap, and the timeline."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from referral.referrals.schemas import ReferralPublic, _WithOther
from referral.rules.lifecycle import NeedWithdrawReason
from sprpa_contracts.catalogue import COURSE_CATEGORY, NeedPreferences, ServiceCode
from sprpa_shared.errors import FieldError
from sprpa_shared.pagination import Page


class GapPublic(BaseModel):
    id: uuid.UUID
    need_id: uuid.UUID
    case_id: uuid.UUID
    child_id: uuid.UUID
    village_code: str
    category: str
    reason: str = Field(description="no_candidates: nobody could take it; exhausted: every candidate said no or "
                                    "did not answer; preference_unmet: nobody offers what the child asked for, so "
                                    "others were offered")
    backbone_organization_id: uuid.UUID | None = Field(description="who holds it now; none: the kabupaten has no "
                                                                   "backbone organisation")
    recorded_at: datetime


class NeedView(BaseModel):
    id: uuid.UUID
    category: str
    status: str = Field(description="matching, accepted, in_service, completed, unmet (waits for the district) or "
                                    "withdrawn (the district took it back)")
    preferences: NeedPreferences | None = Field(default=None, description="what the child asked for within the need")
    added_at: datetime | None = Field(default=None, description="when the district added it to the open case; "
                                                                "none: the flag asked for it")
    withdrawn_reason: NeedWithdrawReason | None = None
    gap: GapPublic | None = Field(description="why no provider took it (the latest gap)")
    gaps: list[GapPublic] = Field(default_factory=list, description="every gap of the need: for want of providers, "
                                                                    "and a preference nobody met")
    referrals: list[ReferralPublic]


def _check_preferences(category: str, preferences: NeedPreferences | None) -> None:
    if preferences is not None and preferences.course_type is not None and category != COURSE_CATEGORY:
        raise FieldError("preferences.course_type", f"a course type is a preference of {COURSE_CATEGORY} only")


class NeedAdd(BaseModel):
    """A need added to the child's open case after the flag (an apprenticeship after the course)."""

    model_config = ConfigDict(extra="forbid")

    category: ServiceCode
    preferences: NeedPreferences | None = None

    @model_validator(mode="after")
    def _fits(self):
        _check_preferences(self.category, self.preferences)
        return self


class NeedWithdrawal(_WithOther):
    reason: NeedWithdrawReason

    def _code(self) -> str:
        return self.reason.value


class TimelineLine(BaseModel):
    at: datetime
    actor: str
    actor_role: str
    what: str
    need_id: uuid.UUID | None
    referral_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    reason: str | None
    note: str | None


class EarlierCase(BaseModel):
    case_id: uuid.UUID
    flagged_at: datetime
    status: str


class CaseView(BaseModel):
    case_id: uuid.UUID
    child_id: uuid.UUID
    village_code: str
    age: int = Field(description="age when flagged")
    sex: str
    classification: str
    status: str = Field(description="open, settled (no need waits any more), refused, or closed (the district "
                                    "closed the child's case)")
    refused_reason: str | None
    flagged_at: datetime
    settled_at: datetime | None
    updated_at: datetime = Field(description="when anything on the case last changed (its timeline)")
    needs: list[NeedView]
    timeline: list[TimelineLine]
    earlier_cases: list[EarlierCase] = Field(description="earlier flags of the same child, newest first")


class GapPage(Page[GapPublic]):
    pass


class NeedLine(BaseModel):
    id: uuid.UUID
    category: str
    status: str


class CaseSummary(BaseModel):
    """A case in a list: read `GET /api/v1/cases/{child_id}?case_id=` for its referrals and timeline."""

    case_id: uuid.UUID
    child_id: uuid.UUID
    village_code: str
    classification: str
    status: str
    refused_reason: str | None
    flagged_at: datetime
    settled_at: datetime | None
    updated_at: datetime
    needs: list[NeedLine]


class CasePage(Page[CaseSummary]):
    pass
