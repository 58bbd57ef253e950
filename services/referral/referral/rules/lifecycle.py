"""The referral's states and the moves allowed between them (pure).

    offered ──accept──> accepted ──start──> in_service ──complete──> completed
       │                   │ └──complete (not delivered)──────────────^
       ├─decline─> declined │
       ├─expire──> expired  ├─cancel (district)─> cancelled
       ├─withdraw> withdrawn (another provider accepted first, or the district re-referred)
       └─cancel──> cancelled

A provider can report "child declined" or "moved away" straight from accepted, but a service
can only be delivered once it was started. Capacity is held while accepted or in service.
"""

from __future__ import annotations

from enum import StrEnum

from sprpa_contracts.vocabulary import LIVE_REFERRAL, TAKEN_REFERRAL, ReferralStatus
from sprpa_shared.errors import Conflict

Status = ReferralStatus  # the shared codes (sprpa_contracts.vocabulary); the moves are this module's


class DeclineReason(StrEnum):
    NO_CAPACITY = "no_capacity"
    NOT_ELIGIBLE = "not_eligible"
    CANNOT_REACH_FAMILY = "cannot_reach_family"
    OTHER = "other"


class Outcome(StrEnum):
    SERVICE_DELIVERED = "service_delivered"
    CHILD_DECLINED = "child_declined"
    MOVED_AWAY = "moved_away"
    OTHER = "other"


class CancelReason(StrEnum):
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CONSENT_EXPIRED = "consent_expired"  # set by the engine: the consent's last day passed
    CHILD_MOVED_AWAY = "child_moved_away"
    NEED_NO_LONGER_APPLIES = "need_no_longer_applies"
    WRONG_PROVIDER = "wrong_provider"
    CHILD_DATA_ERASED = "child_data_erased"  # set by the engine when the registry erases the child, never by hand
    CASE_CLOSED = "case_closed"  # set by the engine: the district closed the child's case
    CHILD_MERGED = "child_merged"  # set by the engine: the record was a duplicate of a child with an open case
    NEED_WITHDRAWN = "need_withdrawn"  # set by the engine: the district withdrew the need (its reason is the need's)
    CHILD_TRANSFERRED = "child_transferred"  # set by the engine: the case moved to another kabupaten
    OTHER = "other"


# Cancel reasons only the engine sets (a person cancelling says why in their own words).
ENGINE_ONLY = frozenset({CancelReason.CHILD_DATA_ERASED, CancelReason.NEED_WITHDRAWN, CancelReason.CONSENT_EXPIRED,
                         CancelReason.CHILD_TRANSFERRED})


class NeedWithdrawReason(StrEnum):
    """Why the district takes a need back."""

    NO_LONGER_NEEDED = "no_longer_needed"
    CHILD_DECLINED = "child_declined"
    FAMILY_DECLINED = "family_declined"
    SERVED_ELSEWHERE = "served_elsewhere"
    WRONG_NEED = "wrong_need"
    OTHER = "other"


MOVES: dict[Status, frozenset[Status]] = {
    Status.OFFERED: frozenset({Status.ACCEPTED, Status.DECLINED, Status.EXPIRED, Status.WITHDRAWN, Status.CANCELLED}),
    Status.ACCEPTED: frozenset({Status.IN_SERVICE, Status.COMPLETED, Status.CANCELLED}),
    Status.IN_SERVICE: frozenset({Status.COMPLETED, Status.CANCELLED}),
}
LIVE = LIVE_REFERRAL
HOLDS_CAPACITY = TAKEN_REFERRAL


def can_move(current: Status, target: Status) -> bool:
    return target in MOVES.get(current, frozenset())


def require_move(current: str, target: Status, *, outcome: Outcome | None = None) -> None:
    """409 with the current state when the move is not allowed."""
    status = Status(current)
    if not can_move(status, target):
        raise Conflict(f"a referral that is {status.value} cannot become {target.value}", current_status=status.value)
    if target is Status.COMPLETED and status is Status.ACCEPTED and outcome is Outcome.SERVICE_DELIVERED:
        raise Conflict("a service can only be delivered once it was started; start it first",
                       current_status=status.value)
