"""KLA indicators 5, 28 and 31 from the data, and the 1,000-point scorecard of a kabupaten for a year."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from reports import kla as rules
from reports.builders.common import (
    age_on,
    born_of,
    fetch,
    period_bounds,
)
from reports.place import Period, Place
from reports.tables import Table

_KLA = """
WITH kids AS (
    SELECT child_id, village_code, sex FROM rm_children
    WHERE merged_into IS NULL AND village_code LIKE :pattern AND registered_at < :end
), flagged AS (  -- children needing special protection: flagged in the year (age and type when flagged)
    SELECT DISTINCT ON (f.child_id) f.child_id, f.classification, f.age, k.sex
    FROM rm_flags f JOIN kids k USING (child_id)
    WHERE f.flagged_at >= :start AND f.flagged_at < :end
    ORDER BY f.child_id, f.flagged_at
), served AS (
    SELECT DISTINCT child_id FROM rm_referrals
    WHERE status = 'completed' AND outcome = 'service_delivered' AND ended_at < :end
), worst AS (  -- in a worst form during the year: flagged so by its end, not withdrawn before it began
    SELECT DISTINCT ON (f.child_id) f.child_id, f.age, k.sex
    FROM rm_flags f JOIN kids k USING (child_id)
    WHERE f.classification = 'worst_form' AND f.flagged_at < :end
      AND NOT EXISTS (SELECT 1 FROM rm_case_moves m WHERE m.child_id = f.child_id AND m.to_status = 'withdrawn'
                      AND m.at < :start AND m.at > f.flagged_at)
    ORDER BY f.child_id, f.flagged_at DESC
), freed AS (
    SELECT DISTINCT child_id FROM rm_case_moves WHERE to_status = 'withdrawn' AND at >= :start AND at < :end
)
SELECT 'flagged' AS measure, f.classification AS type, f.age, f.sex, (s.child_id IS NOT NULL) AS met
FROM flagged f LEFT JOIN served s USING (child_id)
UNION ALL
SELECT 'worst', 'worst_form', w.age, w.sex, (r.child_id IS NOT NULL) FROM worst w LEFT JOIN freed r USING (child_id)
"""
# Indicator 5: which kecamatan and desa of the kabupaten have child data updated in the year (a
# child registered, changed or visited there), of all its kecamatan and desa in the official list.
_KLA_UPDATED = """
WITH touched AS (
    SELECT village_code FROM rm_children
    WHERE merged_into IS NULL AND village_code LIKE :pattern
      AND ((registered_at >= :start AND registered_at < :end) OR (changed_at >= :start AND changed_at < :end))
    UNION
    SELECT village_code FROM rm_visits
    WHERE village_code LIKE :pattern AND visited_on >= CAST(:start AS date) AND visited_on < CAST(:end AS date)
)
SELECT (SELECT count(DISTINCT substr(village_code, 1, 8)) FROM touched) AS kecamatan_updated,
       (SELECT count(*) FROM regions WHERE level = 3 AND code LIKE :pattern) AS kecamatan,
       (SELECT count(DISTINCT village_code) FROM touched) AS desa_updated,
       (SELECT count(*) FROM regions WHERE level = 4 AND code LIKE :pattern) AS desa
"""
# The child profile the regulation asks for: sex x single-year age x kecamatan, of the children on
# the register at the end of the year (age: the year minus the birth year).
_KLA_PROFILE = """
SELECT substr(village_code, 1, 8) AS kecamatan, sex, birth_year, birth_month, count(*) AS count
FROM rm_children
WHERE merged_into IS NULL AND village_code LIKE :pattern AND registered_at < :end
GROUP BY 1, 2, 3, 4
"""
_KLA_INPUTS = """
SELECT indicator, achievement_percent, evidence, version FROM kla_inputs WHERE regency_code = :regency AND year = :year
"""
KLA_NOTES = [
    "Indicator 5: the share of the kabupaten's kecamatan with child data updated in the year (a child registered, "
    "changed or visited there); the desa share beside it. The profile table is the data the regulation asks for.",
    "Indicator 28: of the children flagged in the year, those with at least one service delivered by its end.",
    "Indicator 31: of the children in a worst form during the year, those withdrawn from work in it.",
]


def _year_bounds(year: int, today: date) -> dict:
    return period_bounds(Period(date(year, 1, 1), min(date(year, 12, 31), today)))


async def _kla_measures(session: AsyncSession, place: Place, bounds: dict) -> tuple[dict, list]:
    rows = await fetch(session, _KLA, pattern=place.pattern, **bounds)
    updated = (await fetch(session, _KLA_UPDATED, pattern=place.pattern, **bounds))[0]
    flagged = [r for r in rows if r.measure == "flagged"]
    worst = [r for r in rows if r.measure == "worst"]
    measured = {5: rules.Measured(5, updated.kecamatan_updated, updated.kecamatan),
                28: rules.Measured(28, sum(r.met for r in flagged), len(flagged)),
                31: rules.Measured(31, sum(r.met for r in worst), len(worst))}
    return {"measured": measured, "desa_updated": updated.desa_updated, "desa": updated.desa}, rows


def _met_by(name: str, key: str, rows: list, value) -> Table:
    """Per value of `key`: the children counted and those meeting the indicator."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        cell = counts[str(value(row))]
        cell[0] += 1
        cell[1] += int(row.met)
    return Table(name, [key, "denominator", "numerator", "achievement_percent"],
                 [{key: k, "denominator": d, "numerator": n, "achievement_percent": round(n * 100 / d, 1)}
                  for k, (d, n) in sorted(counts.items())],
                 counts=("denominator", "numerator"), shares=None,
                 derived={"achievement_percent": ("numerator", "denominator")})


async def kla(session: AsyncSession, place: Place, period: Period) -> tuple[dict, list[Table]]:
    """The scorecard of the period's year, with indicators 5, 28 and 31 measured in that year alone
    (not cumulated), their breakdowns, the same figures of the year before, and the child profile."""
    year = period.end.year
    this, rows = await _kla_measures(session, place, period_bounds(period))
    last, _ = await _kla_measures(session, place, _year_bounds(year - 1, period.end))
    measured = this["measured"]
    entered = {r.indicator: {"achievement_percent": float(r.achievement_percent), "evidence": r.evidence,
                             "version": r.version}
               for r in await fetch(session, _KLA_INPUTS, regency=place.code, year=year)}
    card, total = rules.scorecard(measured, entered)
    columns = ["indicator", "name", "weight", "source", "numerator", "denominator", "achievement_percent", "points",
               "evidence"]
    trend = [{"indicator": number, "year": y, "numerator": m.numerator, "denominator": m.denominator,
              "achievement_percent": None if m.achievement is None else round(m.achievement * 100, 1)}
             for number in sorted(measured)
             for y, m in ((year - 1, last["measured"][number]), (year, measured[number]))]
    flagged = [r for r in rows if r.measure == "flagged"]
    worst = [r for r in rows if r.measure == "worst"]
    ages: Counter = Counter()
    for r in await fetch(session, _KLA_PROFILE, pattern=place.pattern, **period_bounds(period)):
        ages[(r.kecamatan, r.sex, age_on(born_of(r), period.end))] += r.count
    profile = [{"kecamatan": k, "sex": sex, "age": age, "count": n} for (k, sex, age), n in sorted(ages.items())]
    return {"year": year, "total_points": total, "max_points": 1000,
            "desa_updated": this["desa_updated"], "desa": this["desa"]}, [
        Table("scorecard", columns, card, counts=("numerator", "denominator"), shares=None,
              derived={"achievement_percent": ("numerator", "denominator"),
                       "points": ("numerator", "denominator")}, totals={"total_points": "points"},
              notes=list(KLA_NOTES)),
        Table("indicator_trend", ["indicator", "year", "numerator", "denominator", "achievement_percent"], trend,
              counts=("numerator", "denominator"), shares=None,
              derived={"achievement_percent": ("numerator", "denominator")}),
        _met_by("indicator_28_by_type", "classification", flagged, lambda r: r.type),
        _met_by("indicator_28_by_age", "age", flagged, lambda r: r.age),
        _met_by("indicator_28_by_sex", "sex", flagged, lambda r: r.sex),
        _met_by("indicator_31_by_age", "age", worst, lambda r: r.age),
        _met_by("indicator_31_by_sex", "sex", worst, lambda r: r.sex),
        Table("child_profile", ["kecamatan", "sex", "age", "count"], profile, shares=None),
    ]
