"""Tables of households and children."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ARRAY, Column, Computed, Date, DateTime, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class Household(SQLModel, table=True):
    __tablename__ = "households"

    id: uuid.UUID = Field(primary_key=True)
    village_code: str
    head_name: str | None = None
    address: str | None = None
    version: int = 1
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: str


class Child(SQLModel, table=True):
    __tablename__ = "children"

    id: uuid.UUID = Field(primary_key=True)
    household_id: uuid.UUID | None = None
    full_name: str
    sex: str
    birth_date: date = Field(sa_column=Column(Date, nullable=False))
    nik: str | None = None
    village_code: str
    district_code: str | None = Field(default=None, sa_column=Column(Text, Computed("substr(village_code, 1, 8)")))
    regency_code: str | None = Field(default=None, sa_column=Column(Text, Computed("substr(village_code, 1, 5)")))
    school_status: str
    living_arrangement: str
    mapping_categories: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    work: dict | None = Field(default=None, sa_column=Column(JSONB))
    root_causes: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    classification: dict = Field(sa_column=Column(JSONB, nullable=False))
    status: str
    flagged_as: str | None = None
    remediation_started_on: date | None = Field(default=None, sa_column=Column(Date))
    prevention_received: bool = False
    next_visit_due: date | None = Field(default=None, sa_column=Column(Date))
    merged_into: uuid.UUID | None = None
    version: int = 1
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: str


class ProviderAccess(SQLModel, table=True):
    """An organisation's referral for a child; `live` while accepted or in service."""

    __tablename__ = "provider_access"

    referral_id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID
    organization_id: uuid.UUID
    status: str
    live: bool
    changed_on: date = Field(sa_column=Column(Date, nullable=False))
