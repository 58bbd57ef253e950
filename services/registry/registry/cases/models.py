"""Tables of the case: its history, consents and flags."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ARRAY, Column, Date, DateTime, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from sprpa_shared.protect import Protected


class CaseHistory(SQLModel, table=True):
    __tablename__ = "case_history"

    id: int | None = Field(default=None, primary_key=True)
    child_id: uuid.UUID
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str
    actor_role: str
    from_status: str | None
    to_status: str
    reason: str


class Consent(SQLModel, table=True):
    __tablename__ = "consents"

    id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID
    basis: str
    given_by: str | None = Field(default=None, sa_column=Column(Protected()))
    relation: str | None = None
    legal_reason: str | None = Field(default=None, sa_column=Column(Protected()))
    given_on: date = Field(sa_column=Column(Date, nullable=False))
    scope: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    document_ref: str | None = None
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    recorded_by: str
    withdrawn_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    withdrawn_by: str | None = None
    valid_until: date | None = Field(default=None, sa_column=Column(Date, nullable=True))  # none: until withdrawn
    expired_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    guardian_phone: str | None = Field(default=None, sa_column=Column(Protected()))


class Flag(SQLModel, table=True):
    __tablename__ = "flags"

    id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID
    consent_id: uuid.UUID
    root_causes: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    needs: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    dropped_needs: list[dict] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    preferences: dict[str, dict] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    flagged_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    flagged_by: str
    approval: str = "not_needed"  # pending, approved: a flag without guardian consent needs a second person
    approved_by: str | None = None
    approved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
