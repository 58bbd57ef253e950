"""The district's periodic (monthly or quarterly) report, which the district or the implementing
partner sends on (issue 26, point 7): the pilot plan's targets against what was achieved, activities
and their reach, cases by status, referrals served and gaps, remediation costs, institutions.

Achievements count twice: in the period, and to date (everything up to the period's last day),
against the targets the district entered for its pilot desa (`pilot_targets`; 1,760 mapped, 160
withdrawn and 1,600 prevented over the plan's 8 desa) and the MOU target.
Anonymous attendance is reach: it never makes a prevented child.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from reports.builders.common import SEXES, fetch, period_bounds
from reports.builders.pilot import pilot
from reports.place import Period, Place
from reports.tables import Table, breakdown
from sprpa_contracts.vocabulary import AGE_BANDS, CaseStatus
from sprpa_shared.errors import ValidationFailed

PROGRAMME_START = date(2000, 1, 1)
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def parse_period(text: str, today: date) -> tuple[str, Period]:
    """'2026-11' (a month) or '2026-Q4' (a quarter), up to today at most."""
    if month := MONTH.match(text):
        year, first = int(month[1]), int(month[2])
        kind, last = "monthly", first
    elif quarter := QUARTER.match(text):
        year, first = int(quarter[1]), 3 * int(quarter[2]) - 2
        kind, last = "quarterly", first + 2
    else:
        raise ValidationFailed("period is a month (2026-11) or a quarter (2026-Q4)", field="period")
    if not 2000 <= year <= 2100:
        raise ValidationFailed("the period's year is from 2000 to 2100", field="period")
    start = date(year, first, 1)
    end = date(year + last // 12, last % 12 + 1, 1) - timedelta(days=1)
    if start > today:
        raise ValidationFailed("the period has not begun", field="period")
    return kind, Period(start, min(end, today))


_MAPPED = """
SELECT count(*) FROM rm_children c JOIN pilot_targets t ON t.village_code = c.village_code
WHERE c.village_code LIKE :pattern AND c.merged_into IS NULL AND c.registered_at >= :start AND c.registered_at < :end
"""
_SESSIONS = """
SELECT s.kind AS activity_kind, count(DISTINCT s.activity_id) AS activities, count(*) AS sessions,
       COALESCE(sum(s.anonymous_total), 0) AS anonymous_reach,
       (SELECT count(DISTINCT COALESCE(c.merged_into, sc.child_id)) FROM rm_session_children sc
        LEFT JOIN rm_children c ON c.child_id = sc.child_id
        WHERE sc.kind = s.kind AND sc.village_code LIKE :pattern AND sc.held_on BETWEEN :first AND :last)
           AS registered_children
FROM rm_activity_sessions s
WHERE s.village_code LIKE :pattern AND s.held_on BETWEEN :first AND :last
GROUP BY s.kind ORDER BY s.kind
"""
_REACH = """
SELECT a->>'sex' AS sex, a->>'age_band' AS age_band, sum((a->>'count')::int) AS count
FROM rm_activity_sessions s, jsonb_array_elements(s.anonymous) a
WHERE s.village_code LIKE :pattern AND s.held_on BETWEEN :first AND :last
GROUP BY 1, 2
"""
_REGISTERED_REACH = """
SELECT count(DISTINCT COALESCE(c.merged_into, sc.child_id)) FROM rm_session_children sc
LEFT JOIN rm_children c ON c.child_id = sc.child_id
WHERE sc.village_code LIKE :pattern AND sc.held_on BETWEEN :first AND :last
"""
_STATUS = """
SELECT status, count(*) AS count FROM rm_children
WHERE village_code LIKE :pattern AND merged_into IS NULL AND registered_at < :end
GROUP BY status
"""
_PREVENTED = """
SELECT COALESCE(m.basis, 'service') AS basis, count(DISTINCT m.child_id) AS count
FROM rm_case_moves m JOIN rm_children c ON c.child_id = m.child_id AND c.merged_into IS NULL
WHERE m.village_code LIKE :pattern AND m.at >= :start AND m.at < :end AND m.to_status = 'prevented'
GROUP BY 1
"""
_PREVENTED_CHILDREN = """
SELECT DISTINCT ON (m.child_id) m.child_id::text AS child_id, m.village_code AS desa,
       COALESCE(m.basis, 'service') AS prevention_basis, (m.at AT TIME ZONE 'UTC')::date::text AS prevented_on
FROM rm_case_moves m JOIN rm_children c ON c.child_id = m.child_id AND c.merged_into IS NULL
WHERE m.village_code LIKE :pattern AND m.at >= :start AND m.at < :end AND m.to_status = 'prevented'
ORDER BY m.child_id, m.at
"""
_REFERRALS = """
WITH offered AS (
    SELECT category, count(*) AS offered FROM rm_referrals
    WHERE village_code LIKE :pattern AND offered_at >= :start AND offered_at < :end GROUP BY category
), served AS (
    SELECT category, count(*) AS served FROM rm_referrals
    WHERE village_code LIKE :pattern AND status = 'completed' AND outcome = 'service_delivered'
      AND ended_at >= :start AND ended_at < :end GROUP BY category
), gaps AS (
    SELECT category, count(*) AS gaps FROM rm_gaps
    WHERE village_code LIKE :pattern AND recorded_on BETWEEN :first AND :last GROUP BY category
)
SELECT category, COALESCE(o.offered, 0) AS offered, COALESCE(s.served, 0) AS served, COALESCE(g.gaps, 0) AS gaps
FROM offered o FULL JOIN served s USING (category) FULL JOIN gaps g USING (category)
ORDER BY category
"""
_COSTS = """
SELECT cost_id, village_code, amount_idr, funding_source, child_id, service_code, activity_kind
FROM rm_costs WHERE village_code LIKE :pattern AND spent_on BETWEEN :first AND :last
"""
# An institution as it stood at the period's end: its latest change on or before that day.
_INSTITUTIONS = """
SELECT DISTINCT ON (institution_id) institution_id, type, status, decreed_on
FROM rm_institution_changes
WHERE village_code LIKE :pattern AND changed_on <= :last
ORDER BY institution_id, at DESC
"""
FORMED = ("formed", "decreed", "active")


def _percent(done: int, target: int | None) -> float | None:
    return round(done * 100 / target, 1) if target else None


async def periodic(session: AsyncSession, place: Place, period: Period, *, mou_target: int,
                   kind: str = "monthly", detailed: bool = False) -> tuple[dict, list[Table]]:
    """`detailed`: also which children count as prevented and why, by id (never for analysts or a
    public export, whose tables are aggregates)."""
    bounds = {**period_bounds(period), "first": period.start, "last": period.end, "pattern": place.pattern}
    in_period, _ = await pilot(session, place, period, mou_target=mou_target)
    in_period["mapped"] = (await fetch(session, _MAPPED, **bounds))[0][0]  # the pilot's is everyone mapped by then
    to_date, _ = await pilot(session, place, Period(PROGRAMME_START, period.end), mou_target=mou_target)
    institutions = await fetch(session, _INSTITUTIONS, **bounds)
    formed = sum(i.status in FORMED for i in institutions)
    decreed = sum(i.decreed_on is not None for i in institutions)
    targets = Table("targets", ["target_indicator", "in_period", "to_date", "target", "of_target_percent"], [
        {"target_indicator": indicator, "in_period": in_period[key] if key else None, "to_date": to_date[key] if key
         else done, "target": target, "of_target_percent": _percent(to_date[key] if key else done, target)}
        for indicator, key, done, target in (
            ("mapped", "mapped", None, to_date["mapping_target"]),
            ("withdrawn", "withdrawn", None, to_date["withdrawn_target"]),
            ("prevented", "prevented", None, to_date["prevented_target"]),
            ("mou_providers", None, to_date["mou_providers"], mou_target),
            ("institutions_formed", None, formed, None),
            ("institutions_decreed", None, decreed, None))],
        counts=("in_period", "to_date"), shares=None, derived={"of_target_percent": ("to_date",)},
        notes=["targets are those of the pilot desa in the place (entered by the district), and the MOU target; "
               "to date: everything up to the period's last day"])

    sessions = await fetch(session, _SESSIONS, **bounds)
    activities = Table("activities", ["activity_kind", "activities", "sessions", "anonymous_reach",
                                      "registered_children"],
                       [dict(row._mapping) for row in sessions],
                       counts=("registered_children",), shares=None,
                       notes=["anonymous reach counts participants of each session (a person at two sessions "
                              "counts twice); it is reach, never prevented children"])
    reach = {(r.sex, r.age_band): r.count for r in await fetch(session, _REACH, **bounds)}
    reach_table = Table("reach_by_sex_age", ["sex", "age_group", "count"],
                        [{"sex": sex, "age_group": band, "count": reach.get((sex, band), 0)}
                         for sex in SEXES for band in AGE_BANDS], shares=None, counts=())
    registered_reach = (await fetch(session, _REGISTERED_REACH, **bounds))[0][0]

    statuses = {r.status: r.count for r in await fetch(session, _STATUS, **bounds)}
    cases = breakdown("cases_by_status", "status", statuses, order=[s.value for s in CaseStatus])
    cases.notes.append("every child registered by the period's end, by the case's status now")
    prevented = breakdown("prevented_by_basis", "prevention_basis",
                          {r.basis: r.count for r in await fetch(session, _PREVENTED, **bounds)},
                          order=["service", "activities"])
    prevented.notes.append("children who became prevented in the period, by what prevented them: a service "
                           "delivered, or enough sessions of prevention activities (the kabupaten's rule), each "
                           "confirmed by a follow-up visit")
    referrals = Table("referrals_by_category", ["category", "offered", "served", "gaps"],
                      [dict(r._mapping) for r in await fetch(session, _REFERRALS, **bounds)],
                      counts=("offered", "served", "gaps"), shares=None,
                      notes=["offers made, services delivered and needs no MOU provider took, in the period"])

    costs = await fetch(session, _COSTS, **bounds)
    total = sum(c.amount_idr for c in costs)
    service_costs = [c for c in costs if c.child_id is not None]
    served_children = {c.child_id for c in service_costs}

    def money(name: str, key: str, of) -> Table:
        amounts: Counter[str] = Counter()
        children: dict[str, set] = {}
        for cost in costs:
            amounts[of(cost)] += cost.amount_idr
            if cost.child_id:
                children.setdefault(of(cost), set()).add(cost.child_id)
        return Table(name, [key, "amount_idr", "children"],
                     [{key: k, "amount_idr": v, "children": len(children.get(k, ()))} for k, v in
                      sorted(amounts.items())], counts=("children",), shares=None)

    by_category = money("costs_by_category", "cost_category",
                        lambda c: c.service_code or f"activity.{c.activity_kind}")
    by_category.notes.append("a delivered service's catalogue code, or activity.<kind> for an activity's cost")
    by_source = money("costs_by_funding_source", "funding_source", lambda c: c.funding_source)
    by_desa = money("costs_by_desa", "desa", lambda c: c.village_code)

    institutions_table = Table("institutions", ["institution_type", "formed", "decreed", "active"], [
        {"institution_type": t, "formed": sum(i.type == t and i.status in FORMED for i in institutions),
         "decreed": sum(i.type == t and i.decreed_on is not None for i in institutions),
         "active": sum(i.type == t and i.status == "active" for i in institutions)}
        for t in sorted({i.type for i in institutions})], counts=(), shares=None,
        notes=["institutions as they stood at the period's end"])

    headline = {
        "kind": kind, "villages": to_date["villages"],
        "mapped": in_period["mapped"], "withdrawn": in_period["withdrawn"], "prevented": in_period["prevented"],
        "mapped_to_date": to_date["mapped"], "withdrawn_to_date": to_date["withdrawn"],
        "prevented_to_date": to_date["prevented"], "mou_providers": to_date["mou_providers"],
        "institutions_formed": formed, "institutions_decreed": decreed,
        "sessions": sum(r.sessions for r in sessions), "anonymous_reach": sum(r.anonymous_reach for r in sessions),
        "registered_children_reached": registered_reach,
        "cost_total_idr": total, "service_cost_idr": sum(c.amount_idr for c in service_costs),
        "children_with_service_costs": len(served_children),
        "cost_per_child_served_idr": round(sum(c.amount_idr for c in service_costs) / len(served_children))
        if served_children else None,
    }
    tables = [targets, activities, reach_table, cases, prevented, referrals, by_category, by_source, by_desa,
              institutions_table]
    if detailed:
        rows = [dict(r._mapping) for r in await fetch(session, _PREVENTED_CHILDREN, **bounds)]
        tables.insert(5, Table("prevented_children", ["child_id", "desa", "prevention_basis", "prevented_on"],
                               sorted(rows, key=lambda r: (r["prevented_on"], r["child_id"])), counts=(), shares=None,
                               notes=["which children count as prevented in the period, and why"]))
    return headline, tables
