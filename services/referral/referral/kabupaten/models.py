"""A kabupaten's own referral settings; without a row, the service defaults apply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class RegencySettings(SQLModel, table=True):
    __tablename__ = "regency_settings"

    regency_code: str = Field(primary_key=True)
    parallel_offers: int
    sla_hours: int
    weekends_count: bool
    version: int
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_by: str
