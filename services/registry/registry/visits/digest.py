"""The weekly summary of each desa's visits due (`visits.due`): from Monday 07:00 in the kabupaten's
time, once per desa and week, counts only. The notify service turns it into the cadres' digest.

Every replica runs the job; the row in `visit_digests` is the claim, so a week is announced once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import text

from sprpa_contracts.events import VisitsDue
from sprpa_shared.db import transaction
from sprpa_shared.events.outbox import emit_all
from sprpa_shared.jobs import periodic
from sprpa_shared.observability import get_logger
from sprpa_shared.zones import WIB, WIT, WITA, zone_of

log = get_logger(__name__)
WEEK_STARTS = timedelta(hours=7)  # Monday 07:00 local: the start of a cadre's working week

# Per desa: the local day and week (by its province's zone), the children overdue and due by Sunday,
# for the desa not yet told this week.
_DUE = text("""
WITH local AS (
    SELECT zone, today, week_of FROM unnest(CAST(:zones AS text[]), CAST(:todays AS date[]), CAST(:weeks AS date[]))
        AS z (zone, today, week_of)
), counted AS (
    SELECT c.village_code, l.week_of,
           count(*) FILTER (WHERE c.next_visit_due < l.today) AS overdue,
           count(*) FILTER (WHERE c.next_visit_due >= l.today) AS due
    FROM children c
    JOIN local l ON l.zone = CASE WHEN left(c.village_code, 2) = ANY (CAST(:wit AS text[])) THEN 'WIT'
                                  WHEN left(c.village_code, 2) = ANY (CAST(:wita AS text[])) THEN 'WITA'
                                  ELSE 'WIB' END
    WHERE c.next_visit_due IS NOT NULL AND c.next_visit_due <= l.week_of + 6
      AND c.merged_into IS NULL AND c.erased_at IS NULL AND c.status <> 'closed'
    GROUP BY c.village_code, l.week_of
)
INSERT INTO visit_digests (village_code, week_of, due, overdue, sent_at)
SELECT village_code, week_of, due, overdue, :now FROM counted
ON CONFLICT DO NOTHING
RETURNING village_code, week_of, due, overdue
""")


def week_of(now: datetime, zone) -> tuple[date, date | None]:
    """The local day, and the Monday of the local week once it began (Monday 07:00); None before."""
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    begun = local.replace(tzinfo=None) >= datetime.combine(monday, datetime.min.time()) + WEEK_STARTS
    return local.date(), monday if begun else None


async def announce_visits_due(sessions, *, now: datetime) -> int:
    """Announce this week's visits due for every desa not told yet; how many were announced."""
    zones = (WIB, WITA, WIT)
    todays, weeks = zip(*(week_of(now, zone) for zone in zones), strict=True)
    async with transaction(sessions) as session:
        rows = (await (await session.connection()).execute(_DUE, {
            "zones": [str(zone) for zone in zones], "todays": list(todays), "weeks": list(weeks), "now": now,
            "wit": _provinces(WIT), "wita": _provinces(WITA)})).all()
        await emit_all(session, [VisitsDue(village_code=row.village_code, week_of=row.week_of, due=row.due,
                                           overdue=row.overdue) for row in rows], at=now)
    return len(rows)


def _provinces(zone) -> list[str]:
    return [f"{code:02d}" for code in range(11, 100) if zone_of(f"{code:02d}") is zone]


async def _pass(app) -> None:
    if announced := await announce_visits_due(app.state.sessions, now=app.state.clock.now()):
        log.info("visits due announced", villages=announced)


visits_due_announcer = periodic(_pass, every="visits_due_sweep_seconds", what="visits due announcement")
