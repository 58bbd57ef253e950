"""The codes every service shares, stated once: a referral's statuses and the sets the services
reason with, a case's statuses, and the sexes. Labels for people are in `labels`; which status
may follow which is each owner's rule (`referral.rules.lifecycle`, `registry.cases.lifecycle`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Sex = Literal["female", "male"]
SEXES: tuple[str, ...] = ("female", "male")


class ReferralStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


R = ReferralStatus
# Out with an organisation: offered, or taken and not ended.
LIVE_REFERRAL = frozenset({R.OFFERED, R.ACCEPTED, R.IN_SERVICE})
# Taken by the organisation: it holds a place of the offering's capacity, and may read the
# child's record (an offer may go to several organisations at once, and tells enough to decide).
TAKEN_REFERRAL = frozenset({R.ACCEPTED, R.IN_SERVICE})
ENDED_REFERRAL = frozenset({R.DECLINED, R.COMPLETED, R.EXPIRED, R.WITHDRAWN, R.CANCELLED})


class CaseStatus(StrEnum):
    """The registry's case of a child (DOMAIN.md, "The case lifecycle")."""

    IDENTIFIED = "identified"
    ASSESSED = "assessed"
    FLAGGED = "flagged"
    REFERRED = "referred"
    IN_REMEDIATION = "in_remediation"
    WITHDRAWN = "withdrawn"
    PREVENTED = "prevented"
    CLOSED = "closed"
