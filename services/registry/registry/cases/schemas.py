"""What the case endpoints accept and return."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from registry.cases.needs import RootCause
from registry.children.schemas import PHONE, LivingArrangement, MappingCategory, SchoolStatus, Work
from sprpa_contracts.catalogue import COURSE_CATEGORY, SERVICE_CODES, NeedPreferences, known_service
from sprpa_shared.errors import FieldError
from sprpa_shared.pagination import Page
from sprpa_shared.text import FreeText, PlainText


class AssessmentCreate(BaseModel):
    """Facts found when assessing the child; classification is recomputed from them."""

    model_config = ConfigDict(extra="forbid")

    work: Work | None
    school_status: SchoolStatus
    living_arrangement: LivingArrangement
    mapping_categories: list[MappingCategory] | None = None
    root_causes: list[RootCause] = Field(default_factory=list, max_length=len(RootCause))


class ConsentIn(BaseModel):
    """The lawful basis for sharing the child's data with providers."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    basis: Literal["guardian", "legal_basis"]
    given_by: PlainText | None = Field(default=None, max_length=200, description="guardian's name (basis guardian)")
    relation: Literal["mother", "father", "grandparent", "sibling", "relative", "legal_guardian"] | None = None
    legal_reason: FreeText | None = Field(default=None, max_length=1000, description="required for basis legal_basis")
    given_on: date
    valid_until: date | None = Field(default=None, description="the last day the consent holds (e.g. a school "
                                     "year); none: until withdrawn. After it, live referrals are cancelled")
    document_ref: PlainText | None = Field(default=None, max_length=200)
    guardian_phone: str | None = Field(default=None, pattern=PHONE, description="the guardian's phone (basis "
                                       "guardian)")
    share_contact_with_provider: bool = Field(default=False, description="the guardian agrees that a provider who "
                                              "accepted a referral sees their name and phone, to reach the family")

    @model_validator(mode="after")
    def _basis_complete(self) -> ConsentIn:
        if self.share_contact_with_provider and not (self.basis == "guardian" and self.guardian_phone):
            raise FieldError("guardian_phone", "sharing the guardian's contact needs guardian consent and a phone")
        if self.basis == "guardian" and not (self.given_by and self.relation):
            raise FieldError("relation" if self.given_by else "given_by",
                             "guardian consent needs given_by and relation")
        if self.valid_until is not None and self.valid_until < self.given_on:
            raise FieldError("valid_until", "valid_until comes before given_on")
        if self.basis == "legal_basis" and len(self.legal_reason or "") < 10:
            raise FieldError("legal_reason", "a legal basis needs legal_reason (at least 10 characters)")
        return self


class DropReason(StrEnum):
    NOT_NEEDED = "not_needed"  # the cause is true, the service is not what this child needs
    ALREADY_RECEIVED = "already_received"  # e.g. already enrolled in PKH, already has a birth certificate
    FAMILY_DECLINED = "family_declined"
    NOT_SUITABLE_FOR_AGE = "not_suitable_for_age"


class DroppedNeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    need: str = Field(description="a need the root causes derive (see GET .../flag/preview)")
    reason: DropReason


class FlagCreate(BaseModel):
    """Flag a case for remediation: why the child works, any extra needs, and the consent."""

    model_config = ConfigDict(extra="forbid")

    root_causes: list[RootCause] = Field(default_factory=list, max_length=len(RootCause))
    extra_needs: list[str] = Field(default_factory=list, max_length=len(SERVICE_CODES))
    dropped_needs: list[DroppedNeed] = Field(default_factory=list, max_length=len(SERVICE_CODES),
                                             description="derived needs the child does not need, each with a reason")
    preferences: dict[str, NeedPreferences] = Field(
        default_factory=dict, max_length=len(SERVICE_CODES),
        description="by need code: the course, provider or language the child asked for (matching honours it first)")
    consent: ConsentIn

    @field_validator("preferences")
    @classmethod
    def _preferences_of_needs(cls, preferences: dict[str, NeedPreferences]) -> dict[str, NeedPreferences]:
        for need, wanted in preferences.items():
            known_service(need)
            if wanted.course_type is not None and need != COURSE_CATEGORY:
                raise ValueError(f"a course type is a preference of {COURSE_CATEGORY} only")
        return preferences

    @field_validator("extra_needs")
    @classmethod
    def _known_codes(cls, needs: list[str]) -> list[str]:
        unknown = sorted(set(needs) - SERVICE_CODES)
        if unknown:
            raise ValueError(f"unknown service catalogue code(s): {', '.join(unknown)}")
        return needs

    @model_validator(mode="after")
    def _something_to_refer(self) -> FlagCreate:
        if not self.root_causes and not self.extra_needs:
            raise FieldError("root_causes", "give at least one root cause or extra need")
        return self


class NeedsPreview(BaseModel):
    """What a flag with these root causes and extra needs would ask for, for this child now."""

    needs: list[str] = Field(description="service catalogue codes, in the order the flag would request them")
    age: int = Field(description="the child's age today: from 15, formal school becomes equivalency and a "
                                 "vocational course is added for a child out of school")


class FlagRejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["no_legal_basis", "guardian_consent_obtainable", "not_child_labour", "duplicate", "other"]


class ConsentWithdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    withdrawn_on: date = Field(description="the day the guardian (or the child) withdrew it")


class ConsentWithdrawn(BaseModel):
    consent_id: uuid.UUID
    withdrawn_on: date


class ClosureReason(StrEnum):
    MOVED_AWAY = "moved_away"
    DIED = "died"
    AGED_OUT = "aged_out"  # 18 years old: no longer a child for remediation
    DUPLICATE = "duplicate"
    OUTCOME_CONFIRMED = "outcome_confirmed"  # the district confirms the outcome without the 12-month visit


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ClosureReason


class FlagPublic(BaseModel):
    id: uuid.UUID
    child_id: uuid.UUID
    root_causes: list[str]
    needs: list[str]
    dropped_needs: list[DroppedNeed] = Field(default_factory=list)
    preferences: dict[str, NeedPreferences] = Field(default_factory=dict)
    consent_id: uuid.UUID
    flagged_at: datetime
    status: str
    approval: str = Field(description="not_needed; pending: a flag without guardian consent waits for a second "
                                      "person's approval (POST .../flag/approve) or rejection (.../flag/reject); "
                                      "approved; rejected")
    approved_by: str | None = None


class HistoryEntry(BaseModel):
    at: datetime
    actor: str = Field(description="who made the change: a person's or API client's subject, or service:<name>")
    actor_role: str
    from_status: str | None
    to_status: str
    reason: str


class History(Page[HistoryEntry]):
    pass
