"""What an MOU means and whether an offering can take a child's need (pure).

A cross-service contract: the providers service applies it to search, the referral engine
to matching, so the two cannot disagree about who may be offered a referral.

A provider takes a kabupaten's referrals only under a signed MOU valid that day and covering
the service category; an offering must also fit the child's age, sex and desa, and have room.
"""

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


MOU_REASON_ORDER = ("mou_category_not_covered", "mou_expired", "mou_terminated", "mou_not_yet_valid",
                    "mou_not_signed", "mou_other_kabupaten")


@dataclass(frozen=True)
class OfferingTerms:
    category: str
    regency_code: str
    service_area: frozenset[str]  # kecamatan or desa codes; empty = the whole kabupaten
    min_age: int
    max_age: int
    sexes: frozenset[str]
    capacity: int
    open_referrals: int = 0


@dataclass(frozen=True)
class ChildNeed:
    category: str
    village_code: str
    age: int | None = None
    sex: str | None = None


def in_service_area(offering: OfferingTerms, village_code: str) -> bool:
    if not village_code.startswith(offering.regency_code + "."):
        return False
    return not offering.service_area or village_code in offering.service_area or \
        village_code[:8] in offering.service_area


def mou_reason(mous: list[MouTerms], *, regency_code: str, category: str, day: date) -> str | None:
    """None when one MOU covers it; otherwise the most telling reason among the organisation's MOUs."""
    if not mous:
        return "no_mou"
    reasons = [exclusion(mou, regency_code=regency_code, category=category, day=day) for mou in mous]
    if None in reasons:
        return None
    return min(reasons, key=MOU_REASON_ORDER.index)


def exclusion_reasons(offering: OfferingTerms, mous: list[MouTerms], need: ChildNeed, day: date) -> list[str]:
    """Every reason the offering cannot take this need today (empty: it can)."""
    reasons = []
    if offering.category != need.category:
        reasons.append("other_category")
    mou = mou_reason(mous, regency_code=need.village_code[:5], category=need.category, day=day)
    if mou:
        reasons.append(mou)
    if need.age is not None and need.age < offering.min_age:
        reasons.append("too_young")
    if need.age is not None and need.age > offering.max_age:
        reasons.append("too_old")
    if need.sex is not None and offering.sexes and need.sex not in offering.sexes:
        reasons.append("sex_not_served")
    if not in_service_area(offering, need.village_code):
        reasons.append("outside_service_area")
    if offering.capacity - offering.open_referrals <= 0:
        reasons.append("no_capacity")
    return reasons
