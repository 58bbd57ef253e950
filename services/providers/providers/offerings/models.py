"""The table of offerings: a service an organisation gives, where, to whom, with its capacity."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Column, DateTime, Text
from sqlmodel import Field, SQLModel


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
