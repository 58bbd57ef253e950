"""Tables of organisations and MOUs."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ARRAY, Column, Date, DateTime, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: uuid.UUID = Field(primary_key=True)
    name: str
    name_key: str
    kind: str
    regency_code: str
    contacts: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    backbone_for: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    is_demo: bool = False
    version: int = 1
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: str


class Mou(SQLModel, table=True):
    __tablename__ = "mous"

    id: uuid.UUID = Field(primary_key=True)
    organization_id: uuid.UUID
    number: str
    regency_code: str
    signed_date: date | None = Field(default=None, sa_column=Column(Date))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_until: date = Field(sa_column=Column(Date, nullable=False))
    service_categories: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    terminated_on: date | None = Field(default=None, sa_column=Column(Date))
    termination_reason: str | None = None
    renews_id: uuid.UUID | None = None  # the MOU this one continues
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: str


class Offering(SQLModel, table=True):
    __tablename__ = "offerings"

    id: uuid.UUID = Field(primary_key=True)
    organization_id: uuid.UUID
    category: str
    name: str
    regency_code: str
    service_area: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    min_age: int
    max_age: int
    sexes: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    capacity: int
    open_referrals: int = 0
    languages: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    schedule: str | None = None
    course_type: str | None = None
    removed: bool = False
    version: int = 1
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
