"""The table of organisations (their MOUs are in `providers.mous`, their offerings in `providers.offerings`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Column, DateTime, Text
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
