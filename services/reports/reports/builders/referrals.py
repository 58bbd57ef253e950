"""Referral performance by service category and by provider (counts, shares served, median hours)."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from reports.builders.common import (
    fetch,
    period_bounds,
    whole_months,
)
from reports.place import Period, Place
from reports.tables import Table

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
        for row in await fetch(session, _REFERRAL_ROWS, pattern=place.pattern, **period_bounds(period)):
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
        for row in await fetch(session, _NEED_ROWS, pattern=place.pattern, **period_bounds(period)):
            for group in groups(row):
                group.add("needs", "", row.n)
                if row.served:
                    group.add("needs_served", "", row.n)
    else:
        spans = {"regencies": place.regency_pattern, "start_day": period.start, "end_day": period.end,
                 **whole_months(period)}
        for row in await fetch(session, _REFERRAL_COUNTERS, **spans):
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
            for row in await fetch(session, _REFERRAL_HOURS, breakdowns=breakdowns, keys=keys,
                                   dimensions=dimensions, coarses=coarses, **spans):
                for group in groups(row):
                    group.hours[row.dimension].fine[Decimal(row.coarse)][Decimal(row.value)] += row.n
    names = {str(r.organization_id): r.name for r in await fetch(session, _NAMES,
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
