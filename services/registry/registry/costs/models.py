"""The costs table."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Computed, Date, DateTime, Text
from sqlmodel import Field, SQLModel


class Cost(SQLModel, table=True):
    __tablename__ = "costs"

    id: uuid.UUID = Field(primary_key=True)
    village_code: str
    regency_code: str | None = Field(default=None, sa_column=Column(Text, Computed("substr(village_code, 1, 5)")))
    amount_idr: int = Field(sa_column=Column(BigInteger, nullable=False))
    funding_source: str
    spent_on: date = Field(sa_column=Column(Date, nullable=False))
    referral_id: uuid.UUID | None = None
    child_id: uuid.UUID | None = None
    service_code: str | None = None
    organization_id: uuid.UUID | None = None
    activity_id: uuid.UUID | None = None
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    recorded_by: str
