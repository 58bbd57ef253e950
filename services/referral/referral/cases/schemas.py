"""The district's view of a case: its needs, each need's referrals and gap, and the timeline."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from referral.referrals.schemas import ReferralPublic


class GapPublic(BaseModel):
    id: uuid.UUID
    need_id: uuid.UUID
    case_id: uuid.UUID
    child_id: uuid.UUID
    village_code: str
    category: str
    reason: str = Field(description="no_candidates: nobody could take it; exhausted: every candidate said no or "
                                    "did not answer")
    backbone_organization_id: uuid.UUID | None = Field(description="who holds it now; none: the kabupaten has no "
                                                                   "backbone organisation")
    recorded_at: datetime


class NeedView(BaseModel):
    id: uuid.UUID
    category: str
    status: str = Field(description="matching, accepted, in_service, completed or unmet (waits for the district)")
    gap: GapPublic | None
    referrals: list[ReferralPublic]


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
    status: str = Field(description="open, settled (no need waits any more) or refused")
    refused_reason: str | None
    flagged_at: datetime
    settled_at: datetime | None
    needs: list[NeedView]
    timeline: list[TimelineLine]
    earlier_cases: list[EarlierCase] = Field(description="earlier flags of the same child, newest first")


class GapPage(BaseModel):
    items: list[GapPublic]
    next_cursor: str | None
