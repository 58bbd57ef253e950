"""Tables of households and children."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ARRAY, Column, Computed, Date, DateTime, Integer, Text, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from registry.duplicates import sounds
from registry.duplicates.rules import name_sounds
from sprpa_shared.protect import Protected, protector


class Household(SQLModel, table=True):
    __tablename__ = "households"

    id: uuid.UUID = Field(primary_key=True)
    village_code: str
    head_name: str | None = Field(default=None, sa_column=Column(Protected()))
    address: str | None = Field(default=None, sa_column=Column(Protected()))
    version: int = 1
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: str


class Child(SQLModel, table=True):
    __tablename__ = "children"

    id: uuid.UUID = Field(primary_key=True)
    household_id: uuid.UUID | None = None
    full_name: str = Field(sa_column=Column(Protected(), nullable=False))
    sex: str
    birth_date: date = Field(sa_column=Column(Date, nullable=False))
    nik: str | None = Field(default=None, sa_column=Column(Protected()))
    nik_index: str | None = None  # the blind index: NIK look-ups and duplicate checks without the NIK
    # Keyed tags of how the name sounds, in its kecamatan and birth week (registry.duplicates.sounds):
    # the duplicate checks find similar names without reading one. NULL until computed (`rekey`).
    name_sounds: list[int] | None = Field(default=None, sa_column=Column(ARRAY(Integer)))
    village_code: str
    district_code: str | None = Field(default=None, sa_column=Column(Text, Computed("substr(village_code, 1, 8)")))
    regency_code: str | None = Field(default=None, sa_column=Column(Text, Computed("substr(village_code, 1, 5)")))
    school_status: str
    living_arrangement: str
    mapping_categories: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    work: dict | None = Field(default=None, sa_column=Column(JSONB))
    identified_through: str | None = None  # outreach, school, raid, partner_ngo, self_family, other
    root_causes: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    classification: dict = Field(sa_column=Column(JSONB, nullable=False))
    status: str
    flagged_as: str | None = None
    remediation_started_on: date | None = Field(default=None, sa_column=Column(Date))
    service_delivered: bool = False  # a service of the child's case was delivered
    next_visit_due: date | None = Field(default=None, sa_column=Column(Date))
    merged_into: uuid.UUID | None = None
    erased_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    erasure_basis: str | None = None
    version: int = 1
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: str


@event.listens_for(Child, "before_insert")
@event.listens_for(Child, "before_update")
def _index(_mapper, _connection, child: Child) -> None:
    child.nik_index = protector().index(child.nik)
    child.name_sounds = sounds.tags(name_sounds(child.full_name), child.village_code[:8], child.birth_date)[0]


class ProviderAccess(SQLModel, table=True):
    """An organisation's referral for a child; `live` while accepted or in service."""

    __tablename__ = "provider_access"

    referral_id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID
    organization_id: uuid.UUID
    status: str
    live: bool
    changed_on: date = Field(sa_column=Column(Date, nullable=False))
    need: str | None = None  # the service's catalogue code
