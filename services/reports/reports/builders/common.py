"""The reports, computed from the read models for a place and a period.

Counting rules (the same in every report):
- a child counts in the place of its current desa; merged duplicates never count;
- "children mapped" are those registered in the period; their age is the age on the period's
  last day from the month of birth (events carry the year and month, never the day: the
  birthday is taken as the month's last day, so an age is never overstated);
- case progress counts the children that reached each status during the period, once each;
- referrals count by the day they were offered; hours are from offer to acceptance and from
  offer to completion; a need counts by the day of its first offer (see `REFERRAL_NOTES`).
"""


from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from reports.place import Period
from sprpa_contracts import vocabulary

AGE_BANDS = ["0-12", "13-14", "15-17", "18+"]
PROGRESS = ["flagged", "referred", "in_remediation", "withdrawn", "prevented", "closed"]
SEXES = list(vocabulary.SEXES)


def age_on(born: str, day: date) -> int:
    """The age on `day` of a child born in `born` ('YYYY-MM', the events never carry the day: the
    birthday is taken as the month's last day, so an age is never overstated; 'YYYY' for a child
    whose events carried the year only: the year's difference)."""
    if len(born) == 4:
        return day.year - int(born)
    year, month = int(born[:4]), int(born[5:7])
    last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return day.year - year - ((day.month, day.day) < (month, last_day))


def born_of(row) -> str:
    return row.birth_month or str(row.birth_year)


def period_bounds(period: Period) -> dict:
    return {"start": datetime.combine(period.start, time(), UTC),
            "end": datetime.combine(period.end + timedelta(days=1), time(), UTC)}


async def fetch(session: AsyncSession, sql: str, **params) -> list:
    return list((await (await session.connection()).execute(text(sql), params)).all())


def whole_months(period: Period) -> dict:
    """The whole calendar months inside the period, `[full_from, full_to)`; none when it spans no
    whole month (then the edges are the whole period)."""
    bounds = period_bounds(period)
    first = period.start if period.start.day == 1 else next_month(period.start)
    after = bounds["end"].date().replace(day=1)
    if first >= after:
        first = after = bounds["end"].date()
    return {"full_from": first, "full_to": after, "full_from_at": datetime.combine(first, time(), UTC),
            "full_to_at": datetime.combine(after, time(), UTC)}


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def band_of(age: int) -> str:
    return "0-12" if age <= 12 else "13-14" if age <= 14 else "15-17" if age <= 17 else "18+"
