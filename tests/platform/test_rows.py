"""`db.new_row`, `db.loaded_row` and `db.together`: rows without the ORM making or writing them, against a real
database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import ARRAY, Column, Integer, MetaData, Table, Text, inspect, text
from sqlalchemy.dialects.postgresql import JSONB

from referral.models import Case, Need
from sprpa_shared.db import (
    DriverSessions,
    Inserting,
    Part,
    Updating,
    after_commit,
    driver,
    execute,
    fetch,
    keep,
    later,
    loaded_row,
    new_row,
    together,
    transaction,
    write,
    write_later,
)

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def case(values) -> Part | None:
    """A case's row as a part (`together`, `later`)."""
    return Inserting(Case.__table__).part([Case(**values).model_dump()])


def _values() -> dict:
    return {"id": uuid.uuid4(), "child_id": uuid.uuid4(), "flag_event_id": uuid.uuid4(),
            "village_code": "35.09.11.2007", "regency_code": "35.09", "age": 14, "sex": "female",
            "classification": "worst_form", "status": "open", "flagged_at": AT, "updated_at": AT}


async def _logged(pair) -> tuple[DriverSessions, list[str]]:
    """Driver sessions of one connection (so the logger sees every statement) and the first word of
    each statement it sends from now on; asyncpg has read the cases' types already (at their first
    use it sends statements of its own)."""
    sessions = DriverSessions(pair.referral.state.settings.asyncpg_url, size=1)
    statements: list[str] = []
    async with transaction(sessions) as session:
        await together(session, [case(_values())])
    async with (await sessions.pool()).acquire() as connection:
        connection.add_query_logger(lambda record: statements.append(record.query.split()[0].rstrip(";")))
    return sessions, statements


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_new_row_is_what_the_model_makes_and_a_session_writes_it_whole_and_tracks_it(pair):
    values = _values()
    made = new_row(Case, **values)
    assert made.model_dump() == Case(**values).model_dump(), "defaults filled as __init__ fills them"
    assert inspect(made).transient

    sessions = pair.referral.state.sessions
    async with transaction(sessions) as session:
        session.add(made)
        await session.flush()
        made.status = "settled"  # changed after it was written: tracked like any row
    async with transaction(sessions) as session:
        stored = await session.get(Case, values["id"])
        assert stored.model_dump() == {**Case(**values).model_dump(), "status": "settled"}


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_row_read_on_the_driver_and_made_the_sessions_is_the_one_it_knows_and_its_changes_are_written(pair):
    values = _values()
    sessions = pair.referral.state.sessions
    async with transaction(sessions) as session:
        session.add(Case(**values))
    async with transaction(sessions) as session:
        [row] = await fetch(session, text("SELECT * FROM cases WHERE id = :id FOR UPDATE"), {"id": values["id"]})
        loaded = loaded_row(session, Case, dict(row))
        assert inspect(loaded).persistent and await session.get(Case, values["id"]) is loaded
        assert not session.dirty, "as the database gave it: nothing to write"
        loaded.status = "settled"
    async with transaction(sessions) as session:
        assert (await session.get(Case, values["id"])).status == "settled"


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_parts_written_together_are_one_statement_that_writes_all_of_them_or_none(pair):
    sessions = pair.referral.state.sessions
    earlier = _values()
    async with transaction(sessions) as session:
        session.add(Case(**earlier))
    opened = _values()
    needs = [{"id": uuid.uuid4(), "case_id": opened["id"], "category": category, "status": "matching",
              "added_at": AT, "added_by": "test"} for category in ("education.formal_school", "health.basic_check")]
    async with transaction(sessions) as session:
        await together(session, [
            Inserting(Case.__table__).part([Case(**opened).model_dump()]),
            Inserting(Need.__table__).part(needs),  # their case is inserted by the same statement
            Updating(Case.__table__).part(earlier["id"], {"status": "settled", "settled_at": AT}),
            Inserting(Need.__table__).part([]),  # nothing to write: left out
        ])
    async with transaction(sessions) as session:
        assert (await session.get(Case, earlier["id"])).status == "settled"
        written = await fetch(session, text("SELECT category FROM needs WHERE case_id = :case ORDER BY category"),
                              {"case": opened["id"]})
        assert [row["category"] for row in written] == ["education.formal_school", "health.basic_check"]

    orphan = {**needs[0], "id": uuid.uuid4(), "case_id": uuid.uuid4()}
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        async with transaction(sessions) as session:
            await together(session, [Updating(Case.__table__).part(earlier["id"], {"status": "open"}),
                                     Inserting(Need.__table__).part([orphan])])
    async with transaction(sessions) as session:
        assert (await session.get(Case, earlier["id"])).status == "settled", "the statement wrote nothing"


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_rows_of_a_table_with_array_columns_are_one_values_list_in_a_part(pair):
    tagged = Table("tagged", MetaData(), Column("id", Integer), Column("tags", ARRAY(Text)), Column("about", JSONB))
    rows = [{"id": n, "tags": [f"t{n}", "common"], "about": {"n": n}} for n in range(3)]
    async with transaction(pair.referral.state.sessions) as session:
        await execute(session, text("CREATE TEMP TABLE tagged (id integer, tags text[], about jsonb)"), {})
        await together(session, [Inserting(tagged).part(rows)])
        written = await fetch(session, text("SELECT id, tags, about FROM tagged ORDER BY id"), {})
    assert [(row["id"], row["tags"], row["about"]) for row in written] == [
        (row["id"], row["tags"], row["about"]) for row in rows]


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_part_kept_for_later_goes_with_the_next_statement_or_before_the_commit_and_is_never_lost(pair):
    sessions = pair.referral.state.sessions
    first, second, third = _values(), _values(), _values()
    async with transaction(sessions) as session:
        later(session, Inserting(Case.__table__).part([Case(**first).model_dump()]))
        await together(session, [Inserting(Case.__table__).part([Case(**second).model_dump()])])
        assert not session.info.get("sprpa.later"), "written with the next statement"
        later(session, Inserting(Case.__table__).part([Case(**third).model_dump()]))
    async with transaction(sessions) as session:
        written = await fetch(session, text("SELECT count(*) AS n FROM cases WHERE id = ANY(:ids)"),
                              {"ids": [first["id"], second["id"], third["id"]]})
        assert written[0]["n"] == 3, "the last one by transaction() before its commit"

    forgotten = _values()
    async with sessions() as session:
        later(session, Inserting(Case.__table__).part([Case(**forgotten).model_dump()]))
        with pytest.raises(RuntimeError, match="not written before the commit"):
            await session.commit()


@pytest.mark.parametrize("pair", [False], indirect=True)
@pytest.mark.parametrize("driver_only", [False, True], ids=["session", "driver-only"])
async def test_what_is_asked_after_the_commit_runs_once_the_data_is_committed_and_never_on_a_rollback(
        pair, driver_only):
    settings = pair.referral.state.settings
    sessions = DriverSessions(settings.asyncpg_url) if driver_only else pair.referral.state.sessions
    committed, rolled_back = _values(), _values()
    seen: list[tuple[str, bool]] = []  # what was called, and whether its connection was still in a transaction

    async def count(values) -> int:
        connection = await asyncpg.connect(settings.asyncpg_url)  # another connection: what is committed
        try:
            return await connection.fetchval("SELECT count(*) FROM cases WHERE id = $1", values["id"])
        finally:
            await connection.close()

    try:
        async with transaction(sessions) as session:
            await together(session, [Inserting(Case.__table__).part([Case(**committed).model_dump()])])
            connection = await driver(session)
            after_commit(session, lambda: seen.append(("committed", connection.is_in_transaction())))
        with pytest.raises(RuntimeError, match="the change failed"):
            async with transaction(sessions) as session:
                await together(session, [Inserting(Case.__table__).part([Case(**rolled_back).model_dump()])])
                connection = await driver(session)
                after_commit(session, lambda: seen.append(("rolled back", connection.is_in_transaction())))
                raise RuntimeError("the change failed")
    finally:
        if driver_only:
            await sessions.close()

    assert seen == [("committed", False)], "called once, after the commit; not for the rolled-back transaction"
    assert (await count(committed), await count(rolled_back)) == (1, 0)


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_parts_kept_on_other_tables_go_in_one_statement_and_a_second_on_one_table_after_it(pair):
    """`db.keep`: a transaction's writes in as few statements as hold their meaning. Two changes of
    one row in one statement would keep one of them: here both count."""
    statements: list[str] = []
    async with transaction(pair.referral.state.sessions) as session:
        await execute(session, text("CREATE TEMP TABLE counted (id integer PRIMARY KEY, n integer)"), {})
        await execute(session, text("CREATE TEMP TABLE noted (what text)"), {})
        def logged(record) -> None:
            statements.append(record.query)

        (await driver(session)).add_query_logger(logged)
        await keep(session, Part("INSERT INTO counted VALUES (1, 0)", ()), table="counted")
        await keep(session, Part("INSERT INTO noted VALUES ('first')", ()), table="noted")
        await keep(session, Part("UPDATE counted SET n = n + 1 WHERE id = 1", ()), table="counted")
        await keep(session, Part("UPDATE counted SET n = n + 1 WHERE id = 1", ()), table="counted")
        await keep(session, Part("INSERT INTO noted VALUES ('last')", ()), table="noted")
        await write_later(session)
        counted = await fetch(session, text("SELECT n FROM counted"), {})
        noted = await fetch(session, text("SELECT what FROM noted ORDER BY what"), {})
        (await driver(session)).remove_query_logger(logged)

    assert [row["n"] for row in counted] == [2], "each change of the row counted"
    assert [row["what"] for row in noted] == ["first", "last"]
    assert len([sql for sql in statements if "counted" in sql and "SELECT n" not in sql]) == 3, \
        "the insert with the first note, then each update after the write before it"


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_fetch_that_writes_takes_the_kept_parts_as_its_first_ctes(pair):
    statements: list[str] = []

    def logged(record) -> None:
        statements.append(record.query)

    async with transaction(pair.referral.state.sessions) as session:
        await execute(session, text("CREATE TEMP TABLE kept (what text)"), {})
        await execute(session, text("CREATE TEMP TABLE counted (id integer PRIMARY KEY, n integer)"), {})
        (await driver(session)).add_query_logger(logged)
        later(session, Part("INSERT INTO kept VALUES ($1)", ("first",)))
        inserted = await fetch(session, text("INSERT INTO counted VALUES (:id, :n) RETURNING n"), {"id": 1, "n": 5},
                               with_later=True)
        later(session, Part("INSERT INTO kept VALUES ($1)", ("second",)))
        updated = await fetch(session, text(
            "WITH changed AS (UPDATE counted SET n = n + :by WHERE id = :id RETURNING n) SELECT n FROM changed"),
            {"id": 1, "by": 2}, with_later=True)
        kept = await fetch(session, text("SELECT what FROM kept ORDER BY what"), {})
        (await driver(session)).remove_query_logger(logged)

    assert ([row["n"] for row in inserted], [row["n"] for row in updated]) == ([5], [7])
    assert [row["what"] for row in kept] == ["first", "second"]
    assert len(statements) == 3, "each kept part went with the next fetch that writes"


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_driver_transaction_that_only_keeps_parts_is_their_one_statement_without_begin_or_commit(pair):
    """A fetch of events whose handlers only keep their writes (the reports') is one statement: it is
    atomic without a transaction block, so the BEGIN and COMMIT round trips are spared. A
    transaction that reads or writes before its end begins as before."""
    sessions, statements = await _logged(pair)
    kept, read_first, clashing, committed = _values(), _values(), _values(), []
    try:
        async with transaction(sessions) as session:
            later(session, case(kept))
            after_commit(session, lambda: committed.append("kept"))
        alone = list(statements)
        statements.clear()
        async with transaction(sessions) as session:
            await fetch(session, text("SELECT count(*) FROM cases"), {})
            later(session, case(read_first))
        begun = list(statements)
        with pytest.raises(asyncpg.UniqueViolationError):
            async with transaction(sessions) as session:
                later(session, case(clashing))
                later(session, case(kept))  # recorded before
                after_commit(session, lambda: committed.append("clashing"))
        async with transaction(sessions) as session:
            written = await fetch(session, text("SELECT id FROM cases WHERE id = ANY(:ids)"),
                                  {"ids": [kept["id"], read_first["id"], clashing["id"]]})
    finally:
        await sessions.close()

    assert alone == ["INSERT"], "the kept part alone: no BEGIN, no COMMIT"
    assert begun == ["BEGIN", "SELECT", "INSERT", "COMMIT"], "a read first: a transaction block"
    assert {row["id"] for row in written} == {kept["id"], read_first["id"]}, "the failed statement kept nothing"
    assert committed == ["kept"], "after the statement; never for the one that failed"


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_driver_transaction_sends_its_one_write_alone_and_begins_only_for_a_second_statement(pair):
    """A write (`together`) is held until the transaction's next statement: the flag's new case, its
    needs and offers are the engine's one write, after a read that locks nothing (`unlocked`), so
    they go without BEGIN and COMMIT. A statement after the held write begins the block and sees
    the write; a held write that fails keeps nothing."""
    sessions, statements = await _logged(pair)
    committed: list[str] = []
    rows = [_values() for _ in range(6)]
    count = text("SELECT count(*) AS n FROM cases WHERE id = ANY(:ids)")

    async def logged(work) -> list[str]:
        statements.clear()
        await work()
        return list(statements)

    try:
        async def read_then_write():
            async with transaction(sessions) as session:
                await fetch(session, count, {"ids": [rows[0]["id"]]}, unlocked=True)
                await together(session, [case(rows[0])])
                after_commit(session, lambda: committed.append("alone"))

        seen: list[int] = []

        async def write_then_read():
            async with transaction(sessions) as session:
                await together(session, [case(rows[1])])
                seen.append((await fetch(session, count, {"ids": [rows[1]["id"]]}, unlocked=True))[0]["n"])

        async def two_writes():
            async with transaction(sessions) as session:
                await together(session, [case(rows[2])])
                later(session, case(rows[3]))

        async def failing():
            async with transaction(sessions) as session:
                await together(session, [case(rows[4]), case(rows[0])])  # rows[0] is there already
                after_commit(session, lambda: committed.append("failed"))

        assert await logged(read_then_write) == ["SELECT", "INSERT"], "the read and the one write: no block"
        assert await logged(write_then_read) == ["BEGIN", "INSERT", "SELECT", "COMMIT"]
        assert seen == [1], "the read after the held write sees it"
        assert await logged(two_writes) == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
        with pytest.raises(asyncpg.UniqueViolationError):
            await failing()
        async with transaction(sessions) as session:
            written = await fetch(session, text("SELECT id FROM cases WHERE id = ANY(:ids)"),
                                  {"ids": [values["id"] for values in rows]})
    finally:
        await sessions.close()

    assert {row["id"] for row in written} == {values["id"] for values in rows[:4]}, "the failed write kept nothing"
    assert committed == ["alone"]


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_statement_written_with_the_kept_parts_is_held_like_together(pair):
    """`db.write`: a statement of its own (notify's offers' watches and notices) with the kept parts
    (the inbox row) as its first CTEs, the transaction's only statement, without BEGIN and COMMIT."""
    sessions, statements = await _logged(pair)
    kept, written = _values(), _values()
    settle = text("WITH moved AS (UPDATE cases SET status = 'settled' WHERE id = :id RETURNING id) "
                  "SELECT count(*) FROM moved")
    try:
        async with transaction(sessions) as session:
            later(session, case(kept))
            await write(session, settle, {"id": kept["id"]})
            await together(session, [case(written)])
        in_block = list(statements)
        statements.clear()
        async with transaction(sessions) as session:
            later(session, case(_values()))
            await write(session, settle, {"id": written["id"]})
        alone = list(statements)
        async with transaction(sessions) as session:
            rows = await fetch(session, text("SELECT id, status FROM cases WHERE id = ANY(:ids)"),
                               {"ids": [kept["id"], written["id"]]})
    finally:
        await sessions.close()

    assert in_block == ["BEGIN", "WITH", "INSERT", "COMMIT"], "a second write: the block"
    assert alone == ["WITH"], "the kept part and the statement: one, alone"
    assert {row["id"]: row["status"] for row in rows} == {kept["id"]: "open", written["id"]: "settled"}, \
        "the kept insert and the update see the same snapshot: the case inserted with it is not settled"
