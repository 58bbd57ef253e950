"""The activities, their sessions, and the registered children who took part in each session."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Column, Computed, Date, DateTime, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class Activity(SQLModel, table=True):
    __tablename__ = "activities"

    id: uuid.UUID = Field(primary_key=True)
    village_code: str
    regency_code: str | None = Field(default=None, sa_column=Column(Text, Computed("substr(village_code, 1, 5)")))
    kind: str
    topic: str
    recurring: bool
    organiser_institution_id: uuid.UUID | None = None
    organiser_organization_id: uuid.UUID | None = None
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: str


class ActivitySession(SQLModel, table=True):
    __tablename__ = "activity_sessions"

    id: uuid.UUID = Field(primary_key=True)
    activity_id: uuid.UUID
    held_on: date = Field(sa_column=Column(Date, nullable=False))
    anonymous: list[dict] = Field(sa_column=Column(JSONB, nullable=False))
    anonymous_total: int
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    recorded_by: str


class SessionChild(SQLModel, table=True):
    """A registered child who took part in a session (with the session's day and kind, so the
    prevention rule counts a child's sessions from one index)."""

    __tablename__ = "session_children"

    session_id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID = Field(primary_key=True)
    held_on: date = Field(sa_column=Column(Date, nullable=False))
    kind: str
