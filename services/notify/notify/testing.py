"""Events the way the owning services publish them, for the notify tests and the bench."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sprpa_contracts import events as ev

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 09:00 WIB
VILLAGE = "35.09.11.2007"  # Kesilir, Wuluhan, Jember
ORGANIZATION = uuid.UUID(int=101)
BACKBONE = uuid.UUID(int=109)


def offer(referral_id: uuid.UUID | None = None, *, status: str = "offered", organization=ORGANIZATION,
          child_id: uuid.UUID | None = None, hours: float = 48, backbone: bool = False,
          at: datetime = NOW, need: str = "education.equivalency") -> ev.ReferralStatusChanged:
    return ev.ReferralStatusChanged(
        referral_id=referral_id or uuid.uuid4(), child_id=child_id or uuid.UUID(int=7), case_id=uuid.UUID(int=8),
        need_id=uuid.UUID(int=9), village_code=VILLAGE, need=need, organization_id=organization,
        backbone=backbone, status=status, on=at.date(),
        respond_by=at + timedelta(hours=hours) if status == "offered" else None)


def organization(organization_id=ORGANIZATION, name: str = "PKBM Tunas Harapan") -> ev.OrganizationUpserted:
    return ev.OrganizationUpserted(organization_id=organization_id, regency_code="35.09", organization_name=name,
                                   kind="ngo", backbone_for=[], version=1)


def mou_expiring(days_left: int = 30, mou_id: uuid.UUID = uuid.UUID(int=55)) -> ev.MouExpiring:
    return ev.MouExpiring(mou_id=mou_id, organization_id=ORGANIZATION, regency_code="35.09",
                          valid_until=date(2026, 12, 30), days_left=days_left)


def awaiting_approval(flag_id: uuid.UUID | None = None) -> ev.FlagAwaitingApproval:
    return ev.FlagAwaitingApproval(child_id=uuid.UUID(int=7), village_code=VILLAGE, flag_id=flag_id or uuid.uuid4(),
                                   needs=["protection.safe_house", "legal.aid"])


def visits_due(due: int = 3, overdue: int = 1, village: str = VILLAGE) -> ev.VisitsDue:
    return ev.VisitsDue(village_code=village, week_of=date(2026, 11, 30), due=due, overdue=overdue)
