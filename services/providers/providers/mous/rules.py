"""MOU status and gating (pure): a provider takes a kabupaten's referrals only under a signed MOU
that is valid that day and covers the service category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class MouStatus(StrEnum):
    DRAFT = "draft"  # not signed yet
    PENDING = "pending"  # signed, valid from a later day
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class MouTerms:
    regency_code: str
    signed_date: date | None
    valid_from: date
    valid_until: date
    service_categories: frozenset[str]
    terminated_on: date | None = None


def status_on(mou: MouTerms, day: date) -> MouStatus:
    if mou.terminated_on is not None and mou.terminated_on <= day:
        return MouStatus.TERMINATED
    if mou.signed_date is None:
        return MouStatus.DRAFT
    if day < mou.valid_from:
        return MouStatus.PENDING
    if day > mou.valid_until:
        return MouStatus.EXPIRED
    return MouStatus.ACTIVE


def exclusion(mou: MouTerms, *, regency_code: str, category: str, day: date) -> str | None:
    """Why this MOU does not let its provider serve `category` in `regency_code` on `day`; None if it does."""
    if mou.regency_code != regency_code:
        return "mou_other_kabupaten"
    status = status_on(mou, day)
    if status is not MouStatus.ACTIVE:
        return {MouStatus.DRAFT: "mou_not_signed", MouStatus.PENDING: "mou_not_yet_valid",
                MouStatus.EXPIRED: "mou_expired", MouStatus.TERMINATED: "mou_terminated"}[status]
    if category not in mou.service_categories:
        return "mou_category_not_covered"
    return None
