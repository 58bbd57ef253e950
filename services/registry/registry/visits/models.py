"""The visits table."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Column, Date, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from sprpa_shared.protect import Protected


class Visit(SQLModel, table=True):
    __tablename__ = "visits"

    id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID
    visited_on: date = Field(sa_column=Column(Date, nullable=False))
    working: bool
    work: dict | None = Field(default=None, sa_column=Column(JSONB))
    attendance: str
    attending_since: date | None = Field(default=None, sa_column=Column(Date))
    living_arrangement: str
    notes: str | None = Field(default=None, sa_column=Column(Protected()))
    classification: dict = Field(sa_column=Column(JSONB, nullable=False))
    outcome: str
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    recorded_by: str
