"""The summary's counters (`rm_child_counts`, kept by triggers) against an independent count of the
rows: after inserts (one by one, and many in one statement), every kind of change, merges and
deletes, for periods that start and end in the middle of months, on month boundaries, inside one
month and across years."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from reports import builders
from reports.place import Period, parse
from sprpa_shared.testing.apps import database

VILLAGES = ["35.09.11.2007", "35.09.11.2001", "35.09.27.2002", "52.03.20.2006"]
CLASSES = ["worst_form", "child_labour", "at_risk", "not_at_risk"]
STATUSES = ["identified", "assessed", "flagged", "referred", "withdrawn"]
MAPPINGS = [["child_labour"], ["at_risk", "orphan"], [], ["disability"]]
PERIODS = [
    (date(2000, 1, 1), date(2026, 11, 23)),  # the default: everything until today
    (date(2025, 3, 17), date(2026, 2, 9)),  # mid-month to mid-month
    (date(2025, 6, 1), date(2025, 8, 31)),  # whole months exactly
    (date(2025, 7, 5), date(2025, 7, 20)),  # inside one month
    (date(2025, 12, 31), date(2026, 1, 1)),  # across a year, two days
    (date(2026, 11, 1), date(2026, 11, 23)),  # the current month so far
]


def _band(age: int) -> str:
    return "0-12" if age <= 12 else "13-14" if age <= 14 else "15-17" if age <= 17 else "18+"


def _independent(rows: list[dict], place: str, period: Period) -> dict[str, Counter]:
    start = datetime(period.start.year, period.start.month, period.start.day, tzinfo=UTC)
    end = datetime(period.end.year, period.end.month, period.end.day, tzinfo=UTC) + timedelta(days=1)
    counted = [r for r in rows if r["merged_into"] is None and r["village_code"].startswith(place)
               and start <= r["registered_at"] < end]
    return {
        "classification": Counter(r["classification"] for r in counted),
        "sex": Counter(r["sex"] for r in counted),
        "status": Counter(r["status"] for r in counted),
        "age_band": Counter(_band(period.end.year - r["birth_year"]) for r in counted),
        "mapping_category": Counter(m for r in counted for m in r["mapping_categories"]),
        "place": Counter(r["village_code"][:8] for r in counted),
    }


def _reported(tables) -> dict[str, Counter]:
    found = {}
    for table in tables:
        key = {"by_classification": "classification", "by_sex": "sex", "by_status": "status",
               "by_age_band": "age_band", "by_mapping_category": "mapping_category",
               "by_kecamatan": "place"}.get(table.name)
        if key:
            column = table.columns[0]
            found[key] = Counter({row[column]: row["count"] for row in table.rows if row["count"]})
    return found


async def test_the_counters_give_the_same_summary_as_counting_the_rows(reports):
    app, _ = reports
    chance = random.Random(20261124)
    async with database(app) as db:
        ids = [uuid.uuid4() for _ in range(400)]
        inserts = [(child, chance.choice(VILLAGES), chance.choice(["female", "male"]), chance.randrange(2008, 2020),
                    chance.choice(MAPPINGS), chance.choice(CLASSES),
                    datetime(2024, 11, 1, tzinfo=UTC) + timedelta(hours=chance.randrange(24 * 760)))
                   for child in ids]
        insert = ("INSERT INTO rm_children (child_id, village_code, sex, birth_year, mapping_categories, "
                  "classification, registered_at, status, status_at, changed_at) VALUES ")
        for values in inserts[:200]:  # one statement per child, as an event handler writes them
            await db.execute(insert + "($1, $2, $3, $4, $5, $6, $7, 'identified', $7, $7)", *values)
        # the others in one statement, as a run of registrations is written: several share a counter
        rows_sql = ", ".join(f"(${7 * n + 1}, ${7 * n + 2}, ${7 * n + 3}, ${7 * n + 4}, ${7 * n + 5}, ${7 * n + 6}, "
                             f"${7 * n + 7}, 'identified', ${7 * n + 7}, ${7 * n + 7})" for n in range(200))
        await db.execute(insert + rows_sql, *(value for values in inserts[200:] for value in values))
        # every kind of change the handlers make, and the ones they may make one day
        for child in chance.sample(ids, 150):
            await db.execute("UPDATE rm_children SET status = $2 WHERE child_id = $1", child, chance.choice(STATUSES))
        for child in chance.sample(ids, 80):
            await db.execute("UPDATE rm_children SET classification = $2, mapping_categories = $3, sex = $4, "
                             "birth_year = birth_year + 1 WHERE child_id = $1", child, chance.choice(CLASSES),
                             chance.choice(MAPPINGS), chance.choice(["female", "male"]))
        for child in chance.sample(ids, 40):
            await db.execute("UPDATE rm_children SET village_code = $2 WHERE child_id = $1", child,
                             chance.choice(VILLAGES))
        for merged, survivor in zip(chance.sample(ids, 20), chance.sample(ids, 20), strict=True):
            if merged != survivor:
                await db.execute("UPDATE rm_children SET merged_into = $2 WHERE child_id = $1", merged, survivor)
        await db.execute("UPDATE rm_children SET changed_at = changed_at + interval '1 second'")  # uncounted column
        await db.execute("DELETE FROM rm_children WHERE child_id = ANY($1::uuid[])", chance.sample(ids, 10))
        rows = [dict(r) for r in await db.fetch("SELECT * FROM rm_children")]
        assert await db.fetchval("SELECT count(*) FROM rm_child_counts WHERE n < 0") == 0
        counters = "SELECT * FROM rm_child_counts WHERE n <> 0 ORDER BY 1, 2, 3, 4"
        kept = await db.fetch(counters)
        await db.execute("SELECT rm_child_counts_refill()")  # what a bulk load recounts: the same
        assert await db.fetch(counters) == kept

    for place in ("35.09", "35"):
        for start, end in PERIODS:
            period = Period(start, end)
            async with app.state.sessions() as session:
                headline, tables = await builders.summary(session, parse(place), period)
            expected = _independent(rows, place, period)
            found = _reported(tables)
            label = f"{place} {start}..{end}"
            assert headline["children_mapped"] == sum(expected["sex"].values()), label
            for key in ("classification", "sex", "status", "age_band", "mapping_category"):
                assert found[key] == +expected[key], (label, key)
            if place == "35.09":
                assert found["place"] == +expected["place"], label


async def _updated(db, table: str) -> tuple[int, int]:
    """(rows updated, of which in place: HOT) in `table` so far, this connection's own counted."""
    await db.execute("SELECT pg_stat_force_next_flush()")  # flushed when this statement ends
    await db.execute("SELECT pg_stat_clear_snapshot()")
    return tuple(await db.fetchrow("SELECT pg_stat_get_tuples_updated($1::regclass), "
                                   "pg_stat_get_tuples_hot_updated($1::regclass)", table))


async def test_a_counter_is_added_to_in_place_not_indexed_again_each_time(reports):
    """A counter changes its `n` only: each change can stay on the counter's page (a HOT update),
    with no new entry in its key's index, when the page has room for it. A counter table kept its
    pages full: a bulk import's 2,000 children a batch updated about 3,750 counters, 16-29% of
    them on another page with a new index entry each (issue 27)."""
    app, _ = reports
    async with database(app) as db:
        insert = ("INSERT INTO rm_children (child_id, village_code, sex, birth_year, mapping_categories, "
                  "classification, registered_at, status, status_at, changed_at) ")
        # Pages of counters: 600 children of their own village and month, five counters each.
        await db.execute(insert + "SELECT gen_random_uuid(), '35.09.11.' || (2000 + n % 300), 'female', 2012, "
                         "'{}', 'at_risk', timestamptz '2024-01-15' + (n / 300) * interval '31 days', 'identified', "
                         "now(), now() FROM generate_series(0, 599) AS n")
        before = await _updated(db, "rm_child_counts")
        for n in range(0, 600, 10):  # one child a transaction, as events come: five counters added to each
            await db.execute(insert + "VALUES (gen_random_uuid(), '35.09.11.' || (2000 + $1::int % 300), 'female', "
                             "2012, '{}', 'at_risk', timestamptz '2024-01-15' + ($1::int / 300) * interval '31 days', "
                             "'identified', now(), now())", n)
        updated, in_place = (after - first for after, first in zip(await _updated(db, "rm_child_counts"), before,
                                                                   strict=True))
        assert updated == 60 * 5
        assert in_place >= 0.9 * updated
