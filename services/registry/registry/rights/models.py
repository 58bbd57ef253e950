"""A request to export or erase a child's data, made by one person and confirmed by a second."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class RightsRequest(SQLModel, table=True):
    __tablename__ = "rights_requests"

    id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID
    kind: str  # export, erasure
    basis: str | None = None  # erasure: data_subject_request or court_order
    reference: str | None = None  # the letter or decision number
    status: str  # pending, confirmed (an export, usable until usable_until), done (erased), cancelled
    requested_by: str
    requested_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    confirmed_by: str | None = None
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    usable_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
