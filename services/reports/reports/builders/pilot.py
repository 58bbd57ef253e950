"""The pilot villages' progress against their targets, and the MOU providers against the MOU target."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from reports.builders.common import (
    fetch,
    period_bounds,
)
from reports.place import Period, Place
from reports.tables import Table

_PILOT = """
WITH villages AS (  -- only the desa the district made pilot villages: they alone carry targets
    SELECT village_code FROM pilot_targets WHERE village_code LIKE :pattern
), mapped AS (
    SELECT c.village_code, count(*) AS children FROM rm_children c JOIN villages USING (village_code)
    WHERE c.merged_into IS NULL AND c.registered_at < :end
    GROUP BY c.village_code
), reached AS (
    SELECT m.village_code, m.to_status, count(DISTINCT m.child_id) AS children
    FROM rm_case_moves m JOIN rm_children c ON c.child_id = m.child_id AND c.merged_into IS NULL
    WHERE m.village_code LIKE :pattern AND m.at >= :start AND m.at < :end
      AND m.to_status IN ('withdrawn', 'prevented')
    GROUP BY m.village_code, m.to_status
), relapsed AS (  -- withdrawn or prevented, then found working again: reported apart, never netted out
    SELECT m.village_code, count(DISTINCT m.child_id) AS children
    FROM rm_case_moves m JOIN rm_children c ON c.child_id = m.child_id AND c.merged_into IS NULL
    WHERE m.village_code LIKE :pattern AND m.at >= :start AND m.at < :end
      AND m.from_status IN ('withdrawn', 'prevented', 'closed') AND m.to_status = 'assessed'
    GROUP BY m.village_code
)
SELECT v.village_code, COALESCE(m.children, 0) AS mapped, t.mapping_target,
       COALESCE(r.children, 0) AS relapsed,
       COALESCE(w.children, 0) AS withdrawn, t.withdrawn_target,
       COALESCE(p.children, 0) AS prevented, t.prevented_target
FROM villages v
JOIN pilot_targets t ON t.village_code = v.village_code
LEFT JOIN mapped m ON m.village_code = v.village_code
LEFT JOIN relapsed r ON r.village_code = v.village_code
LEFT JOIN reached w ON w.village_code = v.village_code AND w.to_status = 'withdrawn'
LEFT JOIN reached p ON p.village_code = v.village_code AND p.to_status = 'prevented'
ORDER BY v.village_code
"""


def _of_target(done: int, target: int) -> float | None:
    return round(done * 100 / target, 1) if target else None


_MOU_PROVIDERS = """
SELECT count(DISTINCT organization_id) FROM rm_mous
WHERE regency_code LIKE :regency_pattern AND signed_date IS NOT NULL AND valid_from <= :day AND valid_until >= :day
  AND (terminated_on IS NULL OR terminated_on > :day)
"""


async def pilot(session: AsyncSession, place: Place, period: Period, *, mou_target: int) -> tuple[dict, list[Table]]:
    """The pilot villages' progress against their targets (mapped, withdrawn, prevented) and the
    providers under an MOU in force at the period's end against the MOU target."""
    rows = await fetch(session, _PILOT, pattern=place.pattern, **period_bounds(period))
    table = Table("pilot_progress", ["desa", "mapped", "mapping_target", "withdrawn", "withdrawn_target",
                                     "withdrawn_percent", "prevented", "prevented_target", "prevented_percent",
                                     "relapsed"],
                  [{"desa": r.village_code, "mapped": r.mapped, "mapping_target": r.mapping_target,
                    "withdrawn": r.withdrawn, "withdrawn_target": r.withdrawn_target,
                    "withdrawn_percent": _of_target(r.withdrawn, r.withdrawn_target), "prevented": r.prevented,
                    "prevented_target": r.prevented_target,
                    "prevented_percent": _of_target(r.prevented, r.prevented_target), "relapsed": r.relapsed}
                   for r in rows],
                  counts=("mapped", "withdrawn", "prevented", "relapsed"), shares=None,
                  derived={"withdrawn_percent": ("withdrawn",), "prevented_percent": ("prevented",)})
    totals = {key: sum(r[key] for r in table.rows) for key in ("mapped", "mapping_target", "withdrawn",
                                                                 "withdrawn_target", "prevented", "prevented_target",
                                                                 "relapsed")}
    totals["withdrawn_percent"] = _of_target(totals["withdrawn"], totals["withdrawn_target"])
    totals["prevented_percent"] = _of_target(totals["prevented"], totals["prevented_target"])
    regency = (place.code or "")[:5]
    providers = (await (await session.connection()).execute(text(_MOU_PROVIDERS), {
        "regency_pattern": f"{regency}%", "day": period.end})).scalar_one()
    return {"villages": len(rows), **totals, "mou_providers": providers, "mou_target": mou_target}, [table]
