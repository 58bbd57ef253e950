"""Needs no MOU provider took, by category, reason and place."""

from __future__ import annotations

from collections import Counter

from sqlmodel.ext.asyncio.session import AsyncSession

from reports.builders.common import (
    fetch,
)
from reports.place import Period, Place
from reports.tables import Table, breakdown

_GAPS = """
SELECT category, village_code, reason FROM rm_gaps
WHERE village_code LIKE :pattern AND recorded_on >= :start_day AND recorded_on <= :end_day
ORDER BY category, village_code
"""


async def gaps(session: AsyncSession, place: Place, period: Period) -> tuple[dict, list[Table]]:
    rows = await fetch(session, _GAPS, pattern=place.pattern, start_day=period.start, end_day=period.end)
    tables = [breakdown("by_category", "category", Counter(r.category for r in rows)),
              breakdown("by_reason", "reason", Counter(r.reason for r in rows))]
    if place.child_level:
        name, length = place.child_level
        tables.append(breakdown(f"by_{name}", "place", Counter(r.village_code[:length] for r in rows)))
    return {"gaps": len(rows)}, tables
