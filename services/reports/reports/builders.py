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

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from reports import kla as rules
from reports.place import Period, Place
from reports.tables import Table, breakdown

AGE_BANDS = ["0-12", "13-14", "15-17", "18+"]
PROGRESS = ["flagged", "referred", "in_remediation", "withdrawn", "prevented", "closed"]
SEXES = ["female", "male"]


def age_on(born: str, day: date) -> int:
    """The age on `day` of a child born in `born` ('YYYY-MM', the events never carry the day: the
    birthday is taken as the month's last day, so an age is never overstated; 'YYYY' for a child
    whose events carried the year only: the year's difference)."""
    if len(born) == 4:
        return day.year - int(born)
    year, month = int(born[:4]), int(born[5:7])
    last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return day.year - year - ((day.month, day.day) < (month, last_day))


def _born(row) -> str:
    return row.birth_month or str(row.birth_year)


def _bounds(period: Period) -> dict:
    return {"start": datetime.combine(period.start, time(), UTC),
            "end": datetime.combine(period.end + timedelta(days=1), time(), UTC)}


async def _rows(session: AsyncSession, sql: str, **params) -> list:
    return list((await (await session.connection()).execute(text(sql), params)).all())


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


def _whole_months(period: Period) -> dict:
    """The whole calendar months inside the period, `[full_from, full_to)`; none when it spans no
    whole month (then the edges are the whole period)."""
    bounds = _bounds(period)
    first = period.start if period.start.day == 1 else _next_month(period.start)
    after = bounds["end"].date().replace(day=1)
    if first >= after:
        first = after = bounds["end"].date()
    return {"full_from": first, "full_to": after, "full_from_at": datetime.combine(first, time(), UTC),
            "full_to_at": datetime.combine(after, time(), UTC)}


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _band(age: int) -> str:
    return "0-12" if age <= 12 else "13-14" if age <= 14 else "15-17" if age <= 17 else "18+"


async def summary(session: AsyncSession, place: Place, period: Period) -> tuple[dict, list[Table]]:
    name, length = place.child_level or ("desa", 13)
    counts: dict[str, Counter] = {dimension: Counter() for dimension in
                                  ("classification", "sex", "band", "status", "part", "mapping_category")}
    dimension_of = {"classification": "classification", "sex": "sex", "status": "status",
                    "mapping": "mapping_category"}
    for row in await _rows(session, _MAPPED, pattern=place.pattern, length=length, **_bounds(period),
                           **_whole_months(period)):
        if row.dimension == "all":
            counts["part"][row.part] += row.n
        elif row.dimension == "birth_month":
            counts["band"][_band(age_on(row.value, period.end))] += row.n
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
    reached = {row.to_status: row.children for row in await _rows(session, _REACHED, pattern=place.pattern,
                                                                   **_bounds(period))}
    tables.append(Table("case_progress", ["status", "count"],
                        [{"status": status, "count": reached.get(status, 0)} for status in PROGRESS], shares=None))
    return {"children_mapped": total}, tables


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
    rows = await _rows(session, _PILOT, pattern=place.pattern, **_bounds(period))
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


# Whole kabupaten: the counters of the whole months in the period and of the days at its edges (three
# ranges of the primary key), hours in coarse buckets; then the fine buckets (`rm_referral_hours`) of
# only the coarse buckets holding a median.
_SPANS = [("month", ":full_from", "<", ":full_to"), ("day", ":start_day", "<", ":full_from"),
          ("day", ":full_to", "<=", ":end_day")]


def _in_spans(select: str) -> str:
    """`select` (which ends in a WHERE clause) over each of the three ranges, as one UNION ALL."""
    return "\n    UNION ALL\n    ".join(f"{select} AND span = '{span}' AND starts >= {first} AND starts {below} {last}"
                                    for span, first, below, last in _SPANS)


_REFERRAL_COUNTERS = """
SELECT breakdown, key, dimension, value, sum(n)::bigint AS n FROM (
    {}
) counted
GROUP BY breakdown, key, dimension, value HAVING sum(n) <> 0
""".format(_in_spans("SELECT breakdown, key, dimension, value, n FROM rm_referral_counts "
                     "WHERE regency_code LIKE :regencies"))
_REFERRAL_HOURS = """
SELECT w.breakdown, w.key, w.dimension, w.coarse, h.value, sum(h.n)::bigint AS n
FROM unnest(CAST(:breakdowns AS text[]), CAST(:keys AS text[]), CAST(:dimensions AS text[]),
            CAST(:coarses AS text[])) AS w (breakdown, key, dimension, coarse)
CROSS JOIN LATERAL (
    {}
) h
GROUP BY w.breakdown, w.key, w.dimension, w.coarse, h.value HAVING sum(h.n) <> 0
""".format(_in_spans("SELECT value, n FROM rm_referral_hours WHERE regency_code LIKE :regencies "
                     "AND breakdown = w.breakdown AND key = w.key AND dimension = w.dimension AND coarse = w.coarse"))
# A kecamatan or desa: one grouping of its referrals per figure (the same facts as
# `rm_referral_keys`, which the triggers count with; the tests hold both to one independent count).
_REFERRAL_ROWS = """
WITH r AS (
    SELECT category, organization_id::text AS org, status, accepted_at IS NOT NULL AS accepted,
           CASE WHEN accepted_at IS NOT NULL THEN rm_hours_bucket(accepted_at - offered_at) END AS to_accept,
           CASE WHEN status = 'completed' AND ended_at IS NOT NULL THEN rm_hours_bucket(ended_at - offered_at) END
               AS to_complete
    FROM rm_referrals WHERE village_code LIKE :pattern AND offered_at >= :start AND offered_at < :end
)
SELECT CASE WHEN GROUPING(category) = 0 THEN 'category' ELSE 'provider' END AS breakdown,
       COALESCE(category, org) AS key, GROUPING(status) = 0 AS counts, status, accepted,
       GROUPING(to_accept) = 0 AND to_accept IS NOT NULL AS to_accept_counted, to_accept,
       rm_hours_coarse(to_accept) AS accept_coarse,
       GROUPING(to_complete) = 0 AND to_complete IS NOT NULL AS to_complete_counted, to_complete,
       rm_hours_coarse(to_complete) AS complete_coarse, count(*) AS n
FROM r
GROUP BY GROUPING SETS ((category, status, accepted), (org, status, accepted), (category, to_accept), (org, to_accept),
                        (category, to_complete), (org, to_complete))
"""
_NEED_ROWS = """
SELECT 'category' AS breakdown, category AS key, served, count(*) AS n FROM rm_needs
WHERE village_code LIKE :pattern AND first_offered_at >= :start AND first_offered_at < :end
GROUP BY category, served
UNION ALL
SELECT 'provider', organization_id::text, served, count(*) FROM rm_need_providers
WHERE village_code LIKE :pattern AND first_offered_at >= :start AND first_offered_at < :end
GROUP BY organization_id, served
"""
_NAMES = "SELECT organization_id, name FROM rm_organizations WHERE organization_id = ANY(:ids)"
_COLUMNS = ["offered", "accepted", "declined", "expired", "completed", "needs", "needs_served", "share_served",
            "median_hours_to_accept", "median_hours_to_complete"]
_COUNTS = ("offered", "accepted", "declined", "expired", "completed", "needs", "needs_served")
# A median of a handful of referrals, or a share of them, tells about each: hidden with any small count.
_DERIVED = {column: _COUNTS for column in ("share_served", "median_hours_to_accept", "median_hours_to_complete")}
REFERRAL_NOTES = [
    "referrals count in the period they were offered in; a need counts once, in the period of its first offer "
    "(by provider: its first offer to that provider), and is served when a referral for it was completed with "
    "the service delivered",
    "median hours are of the hours rounded to two significant figures (to 0.1 h below 10 h, to 1 h below 100 h, "
    "to 10 h below 1,000 h)",
]


HOURS = ("hours_to_accept", "hours_to_complete")


@dataclass
class _Hours:
    """Referrals per coarse bucket of hours, and per fine bucket for the coarse buckets read."""

    coarse: Counter = field(default_factory=Counter)
    fine: dict = field(default_factory=lambda: defaultdict(Counter))  # coarse -> fine -> referrals

    def middle(self) -> list[Decimal]:
        """The coarse buckets holding the median (one, or two for an even count)."""
        return sorted({bucket for bucket, _ in map(self._locate, self._positions())})

    def median(self) -> Decimal | None:
        """As `statistics.median` of the fine buckets: the middle one, or the mean of the middle two."""
        values = []
        for position in self._positions():
            bucket, offset = self._locate(position)
            for value in sorted(self.fine[bucket]):
                offset -= self.fine[bucket][value]
                if offset < 0:
                    values.append(value)
                    break
        return sum(values) / len(values) if values else None

    def _positions(self) -> list[int]:
        total = sum(self.coarse.values())
        return sorted({(total - 1) // 2, total // 2}) if total else []

    def _locate(self, position: int) -> tuple[Decimal, int]:
        for bucket in sorted(self.coarse):
            if position < self.coarse[bucket]:
                return bucket, position
            position -= self.coarse[bucket]
        raise AssertionError("unreachable: the position is below the total")


@dataclass
class _Performance:
    counts: Counter = field(default_factory=Counter)  # offered, accepted, needs, needs_served
    statuses: Counter = field(default_factory=Counter)  # the referrals' current status
    hours: dict = field(default_factory=lambda: {metric: _Hours() for metric in HOURS})

    def add(self, dimension: str, value: str, n: int) -> None:
        if dimension in HOURS:
            self.hours[dimension].coarse[Decimal(value)] += n
        elif dimension == "status":
            self.statuses[value] += n
        else:
            self.counts[dimension] += n

    def figures(self) -> dict:
        c = self.counts
        return {"offered": c["offered"], "accepted": c["accepted"],
                **{status: self.statuses[status] for status in ("declined", "expired", "completed")},
                "needs": c["needs"], "needs_served": c["needs_served"],
                "share_served": round(c["needs_served"] * 100 / c["needs"], 1) if c["needs"] else None,
                "median_hours_to_accept": _hours(self.hours["hours_to_accept"].median()),
                "median_hours_to_complete": _hours(self.hours["hours_to_complete"].median())}


def _hours(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


async def referral_performance(session: AsyncSession, place: Place, period: Period) -> tuple[dict, list[Table]]:
    """By category, by provider and overall (the sum of the categories: a referral has one)."""
    overall, by_category, by_provider = _Performance(), defaultdict(_Performance), defaultdict(_Performance)

    def groups(row) -> tuple[_Performance, ...]:
        return (overall, by_category[row.key]) if row.breakdown == "category" else (by_provider[row.key],)

    if place.regency_pattern is None:
        for row in await _rows(session, _REFERRAL_ROWS, pattern=place.pattern, **_bounds(period)):
            for group in groups(row):
                if row.counts:
                    group.add("offered", "", row.n)
                    group.add("status", row.status, row.n)
                    if row.accepted:
                        group.add("accepted", "", row.n)
                for metric, counted, fine, coarse in (("hours_to_accept", row.to_accept_counted, row.to_accept,
                                                       row.accept_coarse),
                                                      ("hours_to_complete", row.to_complete_counted, row.to_complete,
                                                       row.complete_coarse)):
                    if counted:
                        group.add(metric, coarse, row.n)
                        group.hours[metric].fine[Decimal(coarse)][Decimal(fine)] += row.n
        for row in await _rows(session, _NEED_ROWS, pattern=place.pattern, **_bounds(period)):
            for group in groups(row):
                group.add("needs", "", row.n)
                if row.served:
                    group.add("needs_served", "", row.n)
    else:
        spans = {"regencies": place.regency_pattern, "start_day": period.start, "end_day": period.end,
                 **_whole_months(period)}
        for row in await _rows(session, _REFERRAL_COUNTERS, **spans):
            for group in groups(row):
                group.add(row.dimension, row.value, row.n)
        # the fine buckets each median needs; the overall one's come from every category
        wanted = set()
        for metric in HOURS:
            for key, figures in by_category.items():
                for bucket in figures.hours[metric].middle() + overall.hours[metric].middle():
                    wanted.add(("category", key, metric, str(bucket)))
            for key, figures in by_provider.items():
                for bucket in figures.hours[metric].middle():
                    wanted.add(("provider", key, metric, str(bucket)))
        if wanted:
            breakdowns, keys, dimensions, coarses = map(list, zip(*sorted(wanted), strict=True))
            for row in await _rows(session, _REFERRAL_HOURS, breakdowns=breakdowns, keys=keys,
                                   dimensions=dimensions, coarses=coarses, **spans):
                for group in groups(row):
                    group.hours[row.dimension].fine[Decimal(row.coarse)][Decimal(row.value)] += row.n
    names = {str(r.organization_id): r.name for r in await _rows(session, _NAMES,
                                                                 ids=[uuid.UUID(key) for key in by_provider])}
    tables = [
        Table("by_category", ["category", *_COLUMNS],
              [{"category": category, **by_category[category].figures()} for category in sorted(by_category)],
              counts=_COUNTS, shares=None, notes=REFERRAL_NOTES, derived=_DERIVED),
        Table("by_provider", ["organization_id", "organization", *_COLUMNS],
              [{"organization_id": org, "organization": names.get(org) or "", **by_provider[org].figures()}
               for org in sorted(by_provider)], counts=_COUNTS, shares=None, notes=REFERRAL_NOTES,
              derived=_DERIVED),
    ]
    return overall.figures(), tables


_GAPS = """
SELECT category, village_code, reason FROM rm_gaps
WHERE village_code LIKE :pattern AND recorded_on >= :start_day AND recorded_on <= :end_day
ORDER BY category, village_code
"""


async def gaps(session: AsyncSession, place: Place, period: Period) -> tuple[dict, list[Table]]:
    rows = await _rows(session, _GAPS, pattern=place.pattern, start_day=period.start, end_day=period.end)
    tables = [breakdown("by_category", "category", Counter(r.category for r in rows)),
              breakdown("by_reason", "reason", Counter(r.reason for r in rows))]
    if place.child_level:
        name, length = place.child_level
        tables.append(breakdown(f"by_{name}", "place", Counter(r.village_code[:length] for r in rows)))
    return {"gaps": len(rows)}, tables


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
    return _bounds(Period(date(year, 1, 1), min(date(year, 12, 31), today)))


async def _kla_measures(session: AsyncSession, place: Place, bounds: dict) -> tuple[dict, list]:
    rows = await _rows(session, _KLA, pattern=place.pattern, **bounds)
    updated = (await _rows(session, _KLA_UPDATED, pattern=place.pattern, **bounds))[0]
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
    this, rows = await _kla_measures(session, place, _bounds(period))
    last, _ = await _kla_measures(session, place, _year_bounds(year - 1, period.end))
    measured = this["measured"]
    entered = {r.indicator: {"achievement_percent": float(r.achievement_percent), "evidence": r.evidence,
                             "version": r.version}
               for r in await _rows(session, _KLA_INPUTS, regency=place.code, year=year)}
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
    for r in await _rows(session, _KLA_PROFILE, pattern=place.pattern, **_bounds(period)):
        ages[(r.kecamatan, r.sex, age_on(_born(r), period.end))] += r.count
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


_SERVED = """
WITH served AS (
    SELECT r.child_id, r.category, r.organization_id, r.sessions, o.course_type
    FROM rm_referrals r LEFT JOIN rm_offerings o ON o.offering_id = r.offering_id
    WHERE r.status = 'completed' AND r.outcome = 'service_delivered' AND r.village_code LIKE :pattern
      AND r.ended_at >= :start AND r.ended_at < :end
      AND (CAST(:organizations AS uuid[]) IS NULL OR r.organization_id = ANY(CAST(:organizations AS uuid[])))
)
SELECT c.child_id, c.sex, c.birth_year, c.birth_month, COALESCE(c.school_at_intake, 'unknown') AS school,
       COALESCE(c.living_arrangement, 'unknown') AS living, COALESCE(c.identified_through, 'unknown') AS identified,
       c.classification_basis AS basis,
       array_agg(DISTINCT s.category ORDER BY s.category) AS services,
       array_agg(DISTINCT s.course_type ORDER BY s.course_type) FILTER (
           WHERE s.category = 'skills.vocational_course' AND s.course_type IS NOT NULL) AS courses,
       jsonb_agg(jsonb_build_object('category', s.category, 'organization_id', s.organization_id,
                                    'sessions', s.sessions)) AS deliveries
FROM served s JOIN rm_children c ON c.child_id = s.child_id AND c.merged_into IS NULL
GROUP BY c.child_id, c.sex, c.birth_year, c.birth_month, c.school_at_intake, c.living_arrangement,
         c.identified_through, c.classification_basis
ORDER BY c.child_id
"""
_ORGANIZATION_NAMES = "SELECT organization_id::text AS id, name FROM rm_organizations WHERE organization_id = ANY(:ids)"
AT_INTAKE = "describes the child at intake (when first registered)"
NOW = "describes the child now (the latest record)"


async def programme(session: AsyncSession, place: Place, period: Period,
                    organizations: list[uuid.UUID] | None = None) -> tuple[dict, list[Table]]:
    """Children served (at least one service delivered in the period), NGO-report style; with
    `organizations`, only the services those organisations delivered (a partner's own programme)."""
    children = await _rows(session, _SERVED, pattern=place.pattern, organizations=organizations or None,
                           **_bounds(period))
    age = {c.child_id: age_on(_born(c), period.end) for c in children}
    services = Counter(service for child in children for service in child.services)
    courses = Counter(course for child in children for course in child.courses or [])
    apprentices = [c for c in children if "skills.apprenticeship" in c.services]
    by_service = Table("by_service", ["category", "count", "percent"],
                       [{"category": k, "count": v, "percent": round(v * 100 / len(children), 1)}
                        for k, v in sorted(services.items())],
                       notes=["a child can receive several services: percentages are of the children served and "
                              "do not add up to 100"], shares=None, derived={"percent": ("count",)})
    deliveries = [d for child in children for d in child.deliveries]
    names = {r.id: r.name for r in await _rows(session, _ORGANIZATION_NAMES,
                                                ids=list({uuid.UUID(d["organization_id"]) for d in deliveries}))}
    pairs = Counter((names.get(org, org), category) for child in children
                    for org, category in {(d["organization_id"], d["category"]) for d in child.deliveries})
    by_provider = Table("services_by_provider", ["organization", "category", "count"],
                        [{"organization": org, "category": category, "count": n}
                         for (org, category), n in sorted(pairs.items())], shares=None,
                        notes=["children served, by the organisation that delivered the service"])
    sessions: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for delivery in deliveries:
        if delivery["sessions"]:
            sessions[delivery["category"]][0] += 1
            sessions[delivery["category"]][1] += delivery["sessions"]
    by_sessions = Table("sessions_by_service", ["category", "count", "sessions"],
                        [{"category": k, "count": n, "sessions": total} for k, (n, total) in sorted(sessions.items())],
                        counts=("count", "sessions"), shares=None,
                        notes=["services delivered with the number of sessions their provider reported, and those "
                               "sessions (e.g. counselling sessions)"])
    basis = Counter(code for child in children for code in child.basis or ["none"])
    school = breakdown("by_school_status", "school_status", Counter(c.school for c in children))
    school.notes.append(AT_INTAKE + "; equivalency is a Kejar Paket A/B/C programme")
    living = breakdown("by_living_arrangement", "living_arrangement", Counter(c.living for c in children))
    living.notes.append(NOW)
    identified = breakdown("by_identification", "identified_through", Counter(c.identified for c in children))
    identified.notes.append("how the child came to the programme's notice")
    exploitation = Table("by_exploitation_type", ["classification_basis", "count"],
                         [{"classification_basis": k, "count": v} for k, v in sorted(basis.items())], shares=None,
                         notes=[NOW + ": the worst forms and hazards behind the classification; a child can have "
                                "several, so the counts do not add up"])
    return {"children_served": len(children), "apprentices": len(apprentices)}, [
        breakdown("by_sex", "sex", Counter(c.sex for c in children), order=SEXES),
        breakdown("by_age", "age", Counter(str(age[c.child_id]) for c in children),
                  order=[str(a) for a in sorted(set(age.values()))]),
        school,
        by_service,
        by_provider,
        by_sessions,
        breakdown("by_course_type", "course_type", courses),
        breakdown("apprentices_by_sex", "sex", Counter(c.sex for c in apprentices), order=SEXES),
        living,
        identified,
        exploitation,
    ]
