"""Who must hear what (pure): each event becomes notices to an audience, an unanswered offer
becomes reminders at half and at 80% of its SLA, and a delivery waits out quiet hours and the
hourly limit. A notice holds codes and ids only; the words come in each person's language at
delivery (`messages`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from typing import Any, Literal

from sprpa_contracts import events as ev
from sprpa_contracts.vocabulary import TAKEN_REFERRAL, ReferralStatus
from sprpa_shared.zones import zone_of

Audience = Literal["organization", "operators", "cadres"]
# Reminders of an unanswered offer: the share of its SLA that has passed, and whether it is urgent
# (an urgent notice is sent in quiet hours too).
REMINDERS: tuple[tuple[str, float, bool], ...] = (("half", 0.5, False), ("late", 0.8, True))
LIVE = TAKEN_REFERRAL  # taken by an organisation: its staff serve the child


@dataclass(frozen=True)
class Notice:
    kind: str
    audience: Audience
    regency_code: str
    link: str  # a path of the pages
    key: str  # the same notice twice has the same key: it is made once
    organization_id: uuid.UUID | None = None
    village_code: str | None = None
    urgent: bool = False
    params: dict[str, Any] = field(default_factory=dict)


def regency_of(place_code: str) -> str:
    return ".".join(place_code.split(".")[:2])


def referral_notices(data: ev.ReferralStatusChanged, *, previous_status: str | None) -> list[Notice]:
    """A referral moved: its organisation hears of a new, expired or withdrawn offer; the district of
    an escalation to the backbone; the desa's cadres of a completed referral. (Most pairs of status
    and previous status call for nothing, and `referral_notices_after` asks them all: a notice's
    parts are made only for the notices made.)"""
    status = data.status
    if status == "offered" and previous_status is None:
        deadline = data.respond_by.isoformat() if data.respond_by else None
        notices = [_to_organization(data, "offer.new", {"deadline": deadline, "backbone": data.backbone},
                                    urgent=data.backbone)]
        if data.backbone:
            notices.append(Notice("escalation.backbone", "operators", regency_of(data.village_code),
                                  f"/children/{data.child_id}", f"escalation:{data.referral_id}",
                                  village_code=data.village_code, urgent=True,
                                  params={**_params(data), "organization_id": str(data.organization_id)}))
        return notices
    if status == "expired" and previous_status == "offered":
        return [_to_organization(data, "offer.expired")]
    if status in ("withdrawn", "cancelled") and previous_status in ("offered", *LIVE):
        return [_to_organization(data, "offer.withdrawn", {"reason": data.reason})]
    if status == "completed" and previous_status != "completed":
        return [Notice("referral.completed", "cadres", regency_of(data.village_code), f"/children/{data.child_id}",
                       f"completed:{data.referral_id}", village_code=data.village_code, params=_params(data))]
    return []


def _params(data: ev.ReferralStatusChanged) -> dict[str, Any]:
    return {"service": data.need, "village_code": data.village_code, "referral_id": str(data.referral_id)}


def _to_organization(data: ev.ReferralStatusChanged, kind: str, extra: dict[str, Any] | None = None,
                     urgent: bool = False) -> Notice:
    return Notice(kind, "organization", regency_of(data.village_code), f"/inbox/{data.referral_id}",
                  f"{kind}:{data.referral_id}", organization_id=data.organization_id, village_code=data.village_code,
                  urgent=urgent, params={**_params(data), **(extra or {})})


NO_STATUS = "none"  # before a referral's first status (no referral status is named so)


def referral_notices_after(data: ev.ReferralStatusChanged) -> list[tuple[Notice, tuple[str, ...]]]:
    """Each notice the change may call for, with the statuses after which it calls for it
    (`NO_STATUS` for a new referral). Notify learns the status the change replaces in the statement that records
    the change, and writes the notices there (`referral_notices` says which, from the status)."""
    found: dict[str, tuple[Notice, list[str]]] = {}
    for previous in (None, *ReferralStatus):
        for notice in referral_notices(data, previous_status=previous):
            found.setdefault(notice.key, (notice, []))[1].append(previous or NO_STATUS)
    return [(notice, tuple(after)) for notice, after in found.values()]


def reminder_due(offered_at: datetime, deadline: datetime, now: datetime, sent: set[str]) -> list[tuple[str, bool]]:
    """The reminders of an unanswered offer due by `now` and not sent yet: (name, urgent); when both
    are due at once (the service was down), only the later one is worth sending."""
    span = deadline - offered_at
    due = [(name, urgent) for name, share, urgent in REMINDERS
           if name not in sent and now >= offered_at + span * share and now < deadline]
    return due[-1:] if due else []


def in_quiet_hours(at: datetime, quiet_from: time | None, quiet_to: time | None, zone: tzinfo) -> datetime | None:
    """When `at` falls in the person's quiet hours (their kabupaten's time), the moment they end."""
    if quiet_from is None or quiet_to is None or quiet_from == quiet_to:
        return None
    local = at.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if quiet_from < quiet_to:
        quiet = quiet_from <= clock < quiet_to
    else:  # across midnight, e.g. 21:00 to 06:00
        quiet = clock >= quiet_from or clock < quiet_to
    if not quiet:
        return None
    end = local.replace(hour=quiet_to.hour, minute=quiet_to.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end


def next_digest(at: datetime, digest_at: time, zone: tzinfo) -> datetime:
    """The next time of day `digest_at` in the person's kabupaten after `at`."""
    local = at.astimezone(zone)
    slot = local.replace(hour=digest_at.hour, minute=digest_at.minute, second=0, microsecond=0)
    return slot if slot > local else slot + timedelta(days=1)


def zone_for(regency_code: str) -> tzinfo:
    return zone_of(regency_code)


def retry_after(attempts: int, first: float) -> timedelta:
    """The wait before the next try: `first` seconds, doubling each time, at most an hour."""
    return timedelta(seconds=min(first * 2 ** max(attempts - 1, 0), 3600.0))
