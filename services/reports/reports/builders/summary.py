"""The summary: children mapped by category, classification, sex, age band and place; case progress."""

from __future__ import annotations

from collections import Counter

from sqlmodel.ext.asyncio.session import AsyncSession

from reports.builders.common import (
    AGE_BANDS,
    PROGRESS,
    SEXES,
    age_on,
    band_of,
    fetch,
    period_bounds,
    whole_months,
)
from reports.place import Period, Place
from reports.tables import Table, breakdown

# The counters (`rm_child_counts`, kept by a trigger) for the whole months of the period, and the
# rows themselves for the days at its edges: the same keys either way (`rm_child_keys`).
_MAPPED = """
SELECT part, dimension, value, sum(n)::bigint AS n FROM (
    SELECT substr(village_code, 1, :length) AS part, dimension, value, n
    FROM rm_child_counts
    WHERE village_code LIKE :pattern AND month >= :full_from AND month < :full_to
    UNION ALL
    SELECT substr(c.village_code, 1, :length), k.dimension, k.value, 1
    FROM rm_children c
    CROSS JOIN LATERAL rm_child_keys(c.sex, c.birth_year, c.birth_month, c.classification, c.status,
                                     c.mapping_categories) k
    WHERE c.merged_into IS NULL AND c.village_code LIKE :pattern
      AND ((c.registered_at >= :start AND c.registered_at < :full_from_at)
           OR (c.registered_at >= :full_to_at AND c.registered_at < :end))
) counted
GROUP BY part, dimension, value HAVING sum(n) <> 0
"""
_REACHED = """
SELECT m.to_status, count(DISTINCT m.child_id) AS children
FROM rm_case_moves m JOIN rm_children c ON c.child_id = m.child_id AND c.merged_into IS NULL
WHERE m.village_code LIKE :pattern AND m.at >= :start AND m.at < :end
GROUP BY m.to_status
"""


async def summary(session: AsyncSession, place: Place, period: Period) -> tuple[dict, list[Table]]:
    name, length = place.child_level or ("desa", 13)
    counts: dict[str, Counter] = {dimension: Counter() for dimension in
                                  ("classification", "sex", "band", "status", "part", "mapping_category")}
    dimension_of = {"classification": "classification", "sex": "sex", "status": "status",
                    "mapping": "mapping_category"}
    for row in await fetch(session, _MAPPED, pattern=place.pattern, length=length, **period_bounds(period),
                           **whole_months(period)):
        if row.dimension == "all":
            counts["part"][row.part] += row.n
        elif row.dimension == "birth_month":
            counts["band"][band_of(age_on(row.value, period.end))] += row.n
        else:
            counts[dimension_of[row.dimension]][row.value] += row.n
    total = sum(counts["part"].values())
    mapping = Table("by_mapping_category", ["mapping_category", "count"],
                    [{"mapping_category": k, "count": v} for k, v in sorted(counts.get("mapping_category",
                                                                                       {}).items())],
                    shares=None, notes=["a child can be in several mapping categories"])
    tables = [
        mapping,
        breakdown("by_classification", "classification", counts.get("classification", {})),
        breakdown("by_sex", "sex", counts.get("sex", {}), order=SEXES),
        breakdown("by_age_band", "age_band", counts["band"], order=AGE_BANDS),
        breakdown("by_status", "status", counts.get("status", {})),
    ]
    if place.child_level:
        tables.append(breakdown(f"by_{name}", "place", counts["part"]))
    reached = {row.to_status: row.children for row in await fetch(session, _REACHED, pattern=place.pattern,
                                                                   **period_bounds(period))}
    tables.append(Table("case_progress", ["status", "count"],
                        [{"status": status, "count": reached.get(status, 0)} for status in PROGRESS], shares=None))
    return {"children_mapped": total}, tables
