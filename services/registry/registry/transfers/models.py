"""A transfer of a child's case from one kabupaten to another, proposed by one and answered by the other."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class TransferStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class Transfer(SQLModel, table=True):
    __tablename__ = "transfers"

    id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID
    status: str
    reason: str
    from_village_code: str  # where the child was when it was proposed (and stays, unless accepted)
    from_regency_code: str
    to_regency_code: str
    to_village_code: str | None = None  # proposed if known; the receiving operator confirms or chooses it
    proposed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    proposed_by: str
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    decided_by: str | None = None
    decline_reason: str | None = None
    household_moved: bool | None = None  # on acceptance: the household went along (no other child stayed)
    version: int = 1
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
