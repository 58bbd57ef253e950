"""Tables of the local issuer."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Column, DateTime, Text, text
from sqlmodel import Field, SQLModel


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(unique=True)
    password_hash: str
    role: str
    regency_codes: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    village_code: str | None = None
    organization_id: uuid.UUID | None = None
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    managed_in: str | None = None  # the kabupaten that manages the account
    org_admin: bool = False  # provider staff who manage their organisation's staff
    village_function: str | None = None  # a village cadre's function: cadre (PATBM/GTDLA) or facilitator
    pending_approval: bool = False  # a new operator, until a second operator approves
    created_by: str | None = None
    approved_by: str | None = None
    tokens_revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True),
                                                                        server_default=text("now()")))
    totp_secret: str | None = None  # encrypted with the service's key
    totp_enabled: bool = False
    totp_last_step: int | None = None  # the last time step used: a code works once


class ApiClient(SQLModel, table=True):
    __tablename__ = "api_clients"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: str = Field(unique=True)
    secret_hash: str
    role: str
    regency_codes: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    organization_id: uuid.UUID | None = None
    scopes: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    disabled: bool = False
    created_by: str | None = None
    tokens_revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True),
                                                                        server_default=text("now()")))


class SigningKeyRow(SQLModel, table=True):
    __tablename__ = "signing_keys"

    kid: str = Field(primary_key=True)
    private_pem_encrypted: str
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    retired_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
