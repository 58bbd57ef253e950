"""The institutions table and its history."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Column, Computed, Date, DateTime, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from sprpa_shared.protect import Protected


class Institution(SQLModel, table=True):
    __tablename__ = "institutions"

    id: uuid.UUID = Field(primary_key=True)
    village_code: str
    regency_code: str | None = Field(default=None, sa_column=Column(Text, Computed("substr(village_code, 1, 5)")))
    type: str
    name: str
    status: str
    formed_on: date | None = Field(default=None, sa_column=Column(Date))
    decree_number: str | None = None
    decreed_on: date | None = Field(default=None, sa_column=Column(Date))
    members: list[dict] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    named_members: str | None = Field(default=None, sa_column=Column(Protected()))  # JSON: adults who agreed
    version: int = 1
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_by: str


class InstitutionHistory(SQLModel, table=True):
    __tablename__ = "institution_history"

    id: int | None = Field(default=None, primary_key=True)
    institution_id: uuid.UUID
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str
    from_status: str | None
    to_status: str
    decree_number: str | None = None
    decreed_on: date | None = Field(default=None, sa_column=Column(Date))
    members: int
