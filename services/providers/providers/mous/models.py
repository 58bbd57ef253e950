"""The table of MOUs between an organisation and a kabupaten."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ARRAY, Column, Date, DateTime, Text
from sqlmodel import Field, SQLModel


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
