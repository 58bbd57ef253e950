"""The person of a desa through whom providers reach the families the district refers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from sprpa_shared.protect import Protected


class VillageContact(SQLModel, table=True):
    __tablename__ = "village_contacts"

    village_code: str = Field(primary_key=True)
    function: str  # cadre (PATBM / GTDLA) or facilitator (fasilitator desa pendamping anak)
    name: str = Field(sa_column=Column(Protected(), nullable=False))
    phone: str = Field(sa_column=Column(Protected(), nullable=False))
    version: int = 1
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_by: str
