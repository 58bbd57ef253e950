"""Identifiers: UUIDv7, time-ordered, so ids sort in creation order and index well."""

from __future__ import annotations

import uuid

import uuid_utils


def new_id() -> uuid.UUID:
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)
