"""Tables of the engine: a case per flag, its needs, each need's referrals, gaps and the timeline."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Column, Date, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from sprpa_shared.protect import Protected


def _at(nullable: bool = False):
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Case(SQLModel, table=True):
    __tablename__ = "cases"

    id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID
    flag_event_id: uuid.UUID
    flag_id: uuid.UUID | None = None
    consent_id: uuid.UUID | None = None
    village_code: str
    regency_code: str
    age: int
    sex: str
    classification: str
    status: str  # open, settled, refused, closed (the registry closed the child's case)
    refused_reason: str | None = None
    flagged_at: datetime = _at()
    settled_at: datetime | None = _at(nullable=True)
    updated_at: datetime = _at()  # anything on the case's timeline


class Need(SQLModel, table=True):
    __tablename__ = "needs"

    id: uuid.UUID = Field(primary_key=True)
    case_id: uuid.UUID
    category: str
    status: str  # matching, accepted, in_service, completed, unmet, withdrawn
    preferences: dict | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    added_at: datetime | None = _at(nullable=True)  # None: requested by the flag itself
    added_by: str | None = None
    withdrawn_reason: str | None = None
    withdrawn_at: datetime | None = _at(nullable=True)


def _on():
    return Field(default=None, sa_column=Column(Date, nullable=True))


class Referral(SQLModel, table=True):
    __tablename__ = "referrals"

    id: uuid.UUID = Field(primary_key=True)
    need_id: uuid.UUID
    case_id: uuid.UUID
    child_id: uuid.UUID
    village_code: str
    regency_code: str
    category: str
    organization_id: uuid.UUID
    offering_id: uuid.UUID | None = None
    backbone: bool = False
    area: str | None = None
    status: str
    offered_at: datetime = _at()
    deadline: datetime = _at()
    answered_at: datetime | None = _at(nullable=True)
    started_at: datetime | None = _at(nullable=True)
    ended_at: datetime | None = _at(nullable=True)
    # The dates the provider says it happened (paper first, typed later); the *_at above are entry times.
    accepted_on: date | None = _on()
    started_on: date | None = _on()
    ended_on: date | None = _on()
    sessions: int | None = None  # sessions delivered, reported at completion
    reason: str | None = None
    reason_text: str | None = Field(default=None, sa_column=Column(Protected()))
    outcome: str | None = None
    version: int = 1
    updated_at: datetime = _at()


class Gap(SQLModel, table=True):
    __tablename__ = "gaps"

    id: uuid.UUID = Field(primary_key=True)
    need_id: uuid.UUID
    case_id: uuid.UUID
    child_id: uuid.UUID
    village_code: str
    regency_code: str
    category: str
    reason: str  # no_candidates, exhausted
    backbone_organization_id: uuid.UUID | None = None
    recorded_at: datetime = _at()


class TimelineEntry(SQLModel, table=True):
    __tablename__ = "timeline"

    id: int | None = Field(default=None, primary_key=True)
    case_id: uuid.UUID
    at: datetime = _at()
    actor: str
    actor_role: str
    what: str
    need_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    reason: str | None = None
    note: str | None = Field(default=None, sa_column=Column(Protected()))


class KabupatenRulesRow(SQLModel, table=True):
    """A kabupaten's own referral rules (`kabupaten.service.KabupatenRules`); without a row, the
    service's defaults apply."""

    __tablename__ = "regency_settings"

    regency_code: str = Field(primary_key=True)
    parallel_offers: int
    sla_hours: int
    weekends_count: bool
    version: int
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_by: str
