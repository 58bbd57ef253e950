"""The weekly summary of a desa's visits due: from Monday 07:00 in the kabupaten's time, once per
desa and week, counts only, nothing for a desa with nothing due."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from registry.testing import KESILIR, KESILIR_NEIGHBOUR, PANDAN_WANGI
from registry.visits.digest import announce_visits_due, week_of
from sprpa_shared.zones import WIB, WITA


async def due_on(db, child: dict, day: date | None, status: str | None = None) -> None:
    await db.execute("UPDATE children SET next_visit_due = $2, status = coalesce($3, status) WHERE id = $1::uuid",
                     child["id"], day, status)


async def announced(db) -> dict[tuple[str, str], tuple[int, int]]:
    rows = await db.fetch("SELECT envelope::text AS body FROM outbox WHERE type = 'sprpa.visits.due.v1'")
    return {(data["village_code"], data["week_of"]): (data["due"], data["overdue"])
            for data in (json.loads(row["body"])["data"] for row in rows)}


async def test_each_desa_hears_once_a_week_how_many_of_its_visits_are_due_and_overdue(registry_app, register, db):
    overdue, this_week, later, closed = [await register(nik=None) for _ in range(4)]
    neighbour = await register("cadre", KESILIR_NEIGHBOUR, village_code=KESILIR_NEIGHBOUR, nik=None)
    lombok = await register("operator", "52.03", village_code=PANDAN_WANGI, nik=None)
    await due_on(db, overdue, date(2026, 11, 30))
    await due_on(db, this_week, date(2026, 12, 9))
    await due_on(db, later, date(2026, 12, 20))
    await due_on(db, closed, date(2026, 12, 1), status="closed")
    await due_on(db, neighbour, date(2026, 12, 20))  # nothing due this week: no summary
    await due_on(db, lombok, date(2026, 12, 13))
    sessions = registry_app.state.sessions

    assert await announce_visits_due(sessions, now=datetime(2026, 12, 6, 23, 30, tzinfo=UTC)) == 1, \
        "Monday 06:30 WIB, 07:30 WITA: Lombok's week has begun, Jember's not yet"
    assert await announced(db) == {(PANDAN_WANGI, "2026-12-07"): (1, 0)}
    assert await announce_visits_due(sessions, now=datetime(2026, 12, 7, 0, 0, tzinfo=UTC)) == 1  # 07:00 WIB
    assert await announced(db) == {(KESILIR, "2026-12-07"): (1, 1), (PANDAN_WANGI, "2026-12-07"): (1, 0)}
    assert await announce_visits_due(sessions, now=datetime(2026, 12, 9, 3, 0, tzinfo=UTC)) == 0, "once a week"

    await due_on(db, neighbour, date(2026, 12, 15))
    assert await announce_visits_due(sessions, now=datetime(2026, 12, 14, 1, 0, tzinfo=UTC)) == 3
    week = {key: counts for key, counts in (await announced(db)).items() if key[1] == "2026-12-14"}
    assert week == {(KESILIR, "2026-12-14"): (1, 2), (KESILIR_NEIGHBOUR, "2026-12-14"): (1, 0),
                    (PANDAN_WANGI, "2026-12-14"): (0, 1)}
    bodies = await db.fetch("SELECT envelope::text AS body FROM outbox WHERE type = 'sprpa.visits.due.v1'")
    assert not any("Siti" in row["body"] for row in bodies)


def test_a_week_begins_on_monday_at_seven_in_the_places_own_time():
    monday_early = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # 06:30 WIB, 07:30 WITA
    assert week_of(monday_early, WIB) == (date(2026, 12, 7), None)
    assert week_of(monday_early, WITA) == (date(2026, 12, 7), date(2026, 12, 7))
    assert week_of(datetime(2026, 12, 13, 16, 59, tzinfo=UTC), WIB) == (date(2026, 12, 13), date(2026, 12, 7))
