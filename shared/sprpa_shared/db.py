"""Async database engine on asyncpg. The request (or the consumed event) is the transaction."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, NamedTuple, TypeVar, cast

import asyncpg
from sqlalchemy import ARRAY, JSON, Table, TextClause, TypeDecorator, event
from sqlalchemy.dialects.postgresql.asyncpg import dialect as AsyncpgDialect  # noqa: N812 - a class
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, configure_mappers, make_transient_to_detached
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared import tracing


def create_engine(sqlalchemy_url: str, *, pool_size: int = 10, statement_timeout: float = 60.0) -> AsyncEngine:
    """Every statement is cut off after `statement_timeout` seconds, and a transaction left idle
    twice that long is ended by the server: a runaway query or a stuck request cannot hold rows
    and connections for ever."""
    engine = create_async_engine(
        sqlalchemy_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        connect_args={"server_settings": _server_settings(statement_timeout)},
    )
    _ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


PING_AFTER_IDLE_SECONDS = 5.0


def _ping_after_idle(engine: AsyncEngine, idle: float) -> None:
    """Pessimistic disconnect handling where it matters: a connection that sat in the pool longer
    than `idle` seconds (across a database restart, say) is pinged before use, and replaced if the
    server dropped it. One in steady use is not: SQLAlchemy's `pool_pre_ping` pings at every
    checkout, and asyncpg's ping is three round trips (BEGIN, a statement, ROLLBACK) per
    transaction. A connection dropped while in steady use fails its statement once; SQLAlchemy
    then replaces every connection the pool opened before it."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since > idle:
            try:
                dbapi_connection.ping()
            except Exception as error:  # the pool retries with a new connection
                raise DisconnectionError("the server dropped this pooled connection") from error


def _server_settings(statement_timeout: float) -> dict[str, str]:
    milliseconds = int(statement_timeout * 1000)
    return {"statement_timeout": str(milliseconds), "idle_in_transaction_session_timeout": str(milliseconds * 2)}


class GivenBackAsItIs(asyncpg.Connection):
    """A pooled connection given back without the reset query's round trip: for pools (the read
    pool, the outbox relay's) whose work (statements and transactions; no session settings,
    LISTEN, cursors or advisory locks) leaves nothing to reset."""

    def get_reset_query(self) -> str:
        return ""


async def _jsonb_as_python(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_read_pool(dsn: str, *, size: int, statement_timeout: float = 60.0) -> asyncpg.Pool:
    """A small asyncpg pool for the hot reads that need no transaction of their own (a single
    statement) and for the audit log's group commits: no ORM session, pre-ping, BEGIN or COMMIT
    around them. jsonb comes back as Python values, as through the engine."""
    return await asyncpg.create_pool(dsn, min_size=1, max_size=size, connection_class=GivenBackAsItIs,
                                     init=_jsonb_as_python, server_settings=_server_settings(statement_timeout))


T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)
# What asyncpg raises on a connection the server dropped (a restart).
DROPPED = (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError, ConnectionError)


async def on_pool(pool: asyncpg.Pool, use: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """`use` on a pooled connection; on one the server dropped, once more on a fresh one."""
    try:
        async with pool.acquire() as connection:
            return await use(connection)
    except DROPPED:
        async with pool.acquire() as connection:
            return await use(connection)


def session_factory(engine: AsyncEngine, *, metrics=None) -> async_sessionmaker[AsyncSession]:
    """Sessions of a service; `session.info["metrics"]` is the service's metrics, when given, for
    domain code that counts what it does (offers made, ...) without reaching for the app."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False,
                              info={"metrics": metrics} if metrics is not None else None)


class DriverTransaction:
    """A transaction on a pooled asyncpg connection, standing in for a session whose every statement
    goes through `driver` (`execute`, `fetch`, `Inserting`): `flush` has nothing to do, and any
    other use of it as a session fails loudly.

    It begins its transaction block at its second statement, not when it is opened: a single
    statement is atomic on its own, so a transaction that sends one (the parts `later` kept: a
    reports fetch; a flag's new case and offers after a read that locks nothing: the engine's)
    spares the BEGIN and COMMIT round trips, about 220 µs of CPU between the service and
    PostgreSQL. So a write that returns nothing (`together`) is held until the next statement
    (which begins the block and sends it first) or the end; a read that locks nothing (`fetch`,
    `unlocked`) before any write goes without the block: under READ COMMITTED a statement sees
    what was committed before it began, in a block or not."""

    def __init__(self, connection: asyncpg.Connection, info: dict[str, Any] | None = None,
                 traced: bool = False) -> None:
        self.connection = connection
        self.info: dict[str, Any] = dict(info or {})
        self.traced = traced
        self.block: Any = None  # asyncpg's Transaction, once a second statement began it
        self.held: tuple[str, list, Any] | None = None  # a write not sent yet (`together`), its trace context

    async def begun(self) -> asyncpg.Connection:
        """The connection in the transaction block (begun now if need be), the held write sent."""
        if self.block is None:
            self.block = self.connection.transaction()
            await self.block.start()
        await self._send_held()
        return self.connection

    def untouched(self) -> bool:
        """Nothing sent in a block nor held yet: a write may be held, a read that locks nothing may go
        without the block."""
        return self.block is None and self.held is None

    async def _send_held(self) -> None:
        if self.held is not None:
            sql, args, context = self.held
            self.held = None
            with tracing.driver_sql(sql, self.traced, context=context):
                await self.connection.execute(sql, *args)

    async def end(self) -> None:
        """What is left written, then committed: a single statement left goes alone, without a block."""
        if self.block is None and not (self.held is not None and self.info.get(_LATER)):
            await write_later(cast(AsyncSession, self))  # held, if it is the one statement left
            await self._send_held()
            return
        await self.begun()
        await write_later(cast(AsyncSession, self))
        await self.block.commit()

    async def rollback(self) -> None:
        """After a failure: the block rolled back, unless it has ended (a COMMIT that failed)."""
        if self.block is not None and self.connection.is_in_transaction():
            await self.block.rollback()

    async def flush(self) -> None:
        pass


class DriverSessions:
    """Stands in for a sessionmaker where the work needs no ORM: `transaction(DriverSessions(...))`
    gives a `DriverTransaction`, sparing SQLAlchemy's session (about 150 µs of CPU a transaction,
    measured against a pool's own). The event bus uses it for handlers marked `driver_only`."""

    def __init__(self, dsn: str, *, size: int = 2, statement_timeout: float = 60.0,
                 info: dict[str, Any] | None = None, engine: AsyncEngine | None = None) -> None:
        """`info`: what each transaction's `info` starts with, as a sessionmaker's (the metrics);
        `engine`: the service's, whose SQL tracing its statements follow."""
        self._dsn, self._size, self._timeout, self.info = dsn, size, statement_timeout, info or {}
        self.engine = engine
        self._pool: asyncpg.Pool | None = None

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=self._size,
                                                   connection_class=GivenBackAsItIs,
                                                   server_settings=_server_settings(self._timeout))
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def traced(session: AsyncSession) -> bool:
    """Whether statements on the session's driver connection get SQL spans (`tracing.driver_sql`)."""
    if isinstance(session, DriverTransaction):
        return session.traced
    return tracing.sql_traced(session.bind)


async def driver(session: AsyncSession, *, unlocked: bool = False) -> asyncpg.Connection:
    """The asyncpg connection under the session's transaction, the transaction begun: a statement
    run on it directly costs about 20 µs of CPU against about 100 µs through SQLAlchemy's
    execution, and commits or rolls back with the session.

    SQLAlchemy's asyncpg adapter begins its transaction lazily, at its first statement; a statement
    sent to the driver before that would run outside the session's transaction. So the adapter's
    own `_start_transaction` is called first when it has not begun. Two tests in
    tests/platform/test_events.py fail without it: an event emitted, or an inbox row written, as
    the first statement of a transaction that then rolls back.

    `unlocked`: for a read that locks nothing, which a driver transaction that has written nothing
    yet sends without its block (`DriverTransaction`)."""
    if isinstance(session, DriverTransaction):
        return session.connection if unlocked and session.untouched() else await session.begun()
    fairy = await (await session.connection()).get_raw_connection()
    adapted = cast(Any, fairy.dbapi_connection)  # SQLAlchemy's AsyncAdapt_asyncpg_connection
    if adapted._transaction is None:  # noqa: SLF001 - see the docstring
        await adapted._start_transaction()  # noqa: SLF001
    return fairy.driver_connection


_ASYNCPG = AsyncpgDialect()
_COMPILED: dict[TextClause, tuple[str, tuple[str, ...]]] = {}


async def execute(session: AsyncSession, statement: TextClause, params: dict[str, Any]) -> str:
    """A `text()` statement run on the session's driver connection (`driver`): compiled once to
    asyncpg's numbered parameters, given its values as they are (as SQLAlchemy passes a text
    statement's values), without SQLAlchemy's execution around it. Returns the command's status."""
    sql, values = _positional(statement, params)
    connection = await driver(session)
    with tracing.driver_sql(sql, traced(session)):
        return await connection.execute(sql, *values)


async def fetch(session: AsyncSession, statement: TextClause, params: dict[str, Any], *,
                with_later: bool = False, unlocked: bool = False) -> list[asyncpg.Record]:
    """`execute`, returning the rows (asyncpg records: `row["name"]`). `with_later`: for a statement
    that writes (a data-modifying one, or a WITH of them, returning rows), the parts `later` kept
    go with it as its first CTEs (as with `together`), a round trip fewer; it must not read what
    they write (it sees the snapshot from before them). `unlocked`: a read that locks no row (no FOR
    UPDATE or SHARE), which a driver transaction may send before its block (`DriverTransaction`)."""
    sql, values = _positional(statement, params)
    if with_later and session.info.get(_LATER):
        sql, values = _with_kept(_take_later(session), sql, values)
        unlocked = False
    connection = await driver(session, unlocked=unlocked)
    with tracing.driver_sql(sql, traced(session)):
        return await connection.fetch(sql, *values)


def _positional(statement: TextClause, params: dict[str, Any]) -> tuple[str, list]:
    compiled = _COMPILED.get(statement)
    if compiled is None:
        form = statement.compile(dialect=_ASYNCPG)
        compiled = _COMPILED[statement] = (form.string, tuple(form.positiontup or ()))
    sql, names = compiled
    return sql, [params[name] for name in names]


_WITH_KEPT: dict[tuple[tuple[str, ...], str], str] = {}


def _with_kept(kept: list[Part], sql: str, values: list) -> tuple[str, list]:
    key = (tuple(part.sql for part in kept), sql)
    made = _WITH_KEPT.get(key)
    if made is None:
        ctes, count = _ctes(kept)
        shifted = _shifted(sql, count).lstrip()
        if shifted[:15].upper().startswith("WITH RECURSIVE"):
            raise ValueError("a WITH RECURSIVE statement cannot take the kept parts")
        own = shifted[5:] if shifted[:5].upper() == "WITH " else None
        made = _WITH_KEPT[key] = f"WITH {ctes}, {own}" if own is not None else f"WITH {ctes} {shifted}"
    return made, [value for part in kept for value in part.args] + list(values)


def _ctes(parts: Sequence[Part]) -> tuple[str, int]:
    """The parts as a WITH list (`w0 AS (...), w1 AS (...)`, each one's values numbered after the
    last's), and how many values they take."""
    ctes, count = [], 0
    for number, part in enumerate(parts):
        ctes.append(f"w{number} AS ({_shifted(part.sql, count)})")
        count += len(part.args)
    return ", ".join(ctes), count


class Part(NamedTuple):
    """One data-modifying statement (an INSERT or an UPDATE, no WITH of its own) and its values
    ($1 ... $n), to be written with others in one round trip (`together`)."""

    sql: str
    args: tuple


def text_part(statement: TextClause, params: dict[str, Any]) -> Part:
    """A `text()` statement and its values as a `Part` (compiled once, as `execute` compiles it)."""
    sql, values = _positional(statement, params)
    return Part(sql, tuple(values))


_PLACEHOLDER = re.compile(r"\$(\d+)")
_TOGETHER: dict[tuple[tuple[str, ...], str], str] = {}


def _shifted(sql: str, by: int) -> str:
    return _PLACEHOLDER.sub(lambda found: f"${int(found.group(1)) + by}", sql) if by else sql


_LATER = "sprpa.later"  # in a session's info: the parts `later` keeps for the transaction's next statement


def later(session: AsyncSession, part: Part) -> None:
    """A statement of the transaction that nothing reads back before the commit (an audit row):
    written with the transaction's next `together`, or by `write_later` just before the commit, so
    it costs no round trip of its own. `transaction()` and the request's session write what is
    left; a commit anywhere else with a part left unwritten fails (`before_commit`), it is never
    lost quietly."""
    session.info.setdefault(_LATER, []).append(part)


_KEPT_ON = "sprpa.later_tables"  # in a session's info: the tables the parts `keep` kept change


async def keep(session: AsyncSession, part: Part, *, table: str) -> None:
    """`later` for a part that changes `table`, in a transaction that keeps its writes for one
    statement (the reports' handlers): if a kept part changes that table too, the kept ones are
    written first, in a statement without it. In one statement the parts do not see each other's
    rows, and a row changed by two of them keeps one change, not both."""
    if table in session.info.get(_KEPT_ON, ()):
        await write_later(session)  # which forgets the tables with the parts
    session.info.setdefault(_KEPT_ON, set()).add(table)
    later(session, part)


def _take_later(session: AsyncSession) -> list[Part]:
    """The parts `later` kept, to be written now: the session forgets them and their tables."""
    session.info.pop(_KEPT_ON, None)
    return session.info.pop(_LATER, [])


async def write_later(session: AsyncSession) -> None:
    """Writes the parts `later` kept, in one statement (none: nothing to do)."""
    if session.info.get(_LATER):
        await together(session, [])


@event.listens_for(Session, "before_commit")
def _nothing_left_for_later(session: Session) -> None:
    if session.info.get(_LATER):
        raise RuntimeError("statements kept for later were not written before the commit: db.write_later first")


_AFTER_COMMIT = "sprpa.after_commit"  # in a session's info: what to do once its transaction has committed


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """`callback` called once the session's transaction has committed, never if it rolls back (the
    outbox hands a change's events to its relay so). It must not raise or wait: it runs in the
    commit, after the data is durable, before the committing code goes on."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _committed(info: dict[str, Any]) -> None:
    for callback in info.pop(_AFTER_COMMIT, ()):
        callback()


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    _committed(session.info)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, _previous) -> None:
    session.info.pop(_AFTER_COMMIT, None)


async def together(session: AsyncSession, parts: Sequence[Part | None], *, then: str = "SELECT 1") -> None:
    """Several statements in one round trip on the session's driver connection: each a
    data-modifying CTE of one statement, which PostgreSQL runs to completion though nothing reads it,
    ending with `then` (the outbox's NOTIFY). They see the same snapshot, not each other's rows;
    constraints (a foreign key to a row another part inserts) are checked when the statement ends.
    The parts `later` kept go first. A round trip costs more CPU than most of the statements a
    request or a handler writes."""
    chosen = [*_take_later(session), *(part for part in parts if part is not None)]
    if not chosen:
        return
    if len(chosen) == 1 and then == "SELECT 1":  # alone: the statement as it is
        sql, args = chosen[0].sql, list(chosen[0].args)
    else:
        key = (tuple(part.sql for part in chosen), then)
        made = _TOGETHER.get(key)
        if made is None:
            made = _TOGETHER[key] = f"WITH {_ctes(chosen)[0]} {then}"
        sql, args = made, [value for part in chosen for value in part.args]
    await _writing(session, sql, args, holds=then == "SELECT 1")


async def write(session: AsyncSession, statement: TextClause, params: dict[str, Any]) -> None:
    """A statement that writes (a WITH of data-modifying CTEs, its last SELECT read by no one), with the
    parts `later` kept as its first CTEs (as `fetch(with_later=True)` takes them): sent as `together`
    sends its own, so a driver transaction's only statement goes without BEGIN and COMMIT."""
    sql, values = _positional(statement, params)
    if session.info.get(_LATER):
        sql, values = _with_kept(_take_later(session), sql, values)
    await _writing(session, sql, values, holds=True)


async def _writing(session: AsyncSession, sql: str, args: list, *, holds: bool) -> None:
    if holds and isinstance(session, DriverTransaction) and session.untouched():
        # sent before the next statement, or alone at the end; its span where it was made
        session.held = (sql, args, tracing.held_context(session.traced))
        return
    connection = await driver(session)
    with tracing.driver_sql(sql, traced(session)):
        await connection.execute(sql, *args)


class Inserting:
    """Rows written straight to a table on the session's driver connection, each value made ready
    by its column's type as SQLAlchemy would (a `Protected` column sealed, JSON serialised): for
    rows written as they are made and not read back through the ORM in the same transaction (an
    opened case's needs and offers, the timeline, a case's history). Any number of rows is one
    `INSERT ... SELECT FROM unnest(one array per column)`; a table with array columns (which
    unnest would flatten) is written with one `INSERT ... VALUES` list of its rows (a few: each
    value is a parameter, and a statement takes at most 32,767)."""

    def __init__(self, table: Table, columns: Sequence[str] | None = None, *, skip_existing: bool = False) -> None:
        chosen = [table.c[name] for name in columns] if columns else list(table.columns)
        self.columns = [column.name for column in chosen]
        self._ready = [column.type.bind_processor(_ASYNCPG) for column in chosen]
        self._rowwise = any(isinstance(_impl(column), ARRAY) for column in chosen)
        names = ", ".join(self.columns)
        self._head = f"INSERT INTO {table.name} ({names})"
        self._conflict = " ON CONFLICT DO NOTHING" if skip_existing else ""
        self._row = "(" + ", ".join(_placeholder(column, number) for number, column in enumerate(chosen, 1)) + ")"
        self._rows_sql: dict[int, str] = {}
        arrays, values = [], []
        for number, column in enumerate(chosen, start=1):
            sql_type = column.type.compile(dialect=_ASYNCPG)
            json = isinstance(_impl(column), JSON)
            arrays.append(f"${number}::{'text' if json else sql_type}[]")
            values.append(f"CAST(r.{column.name} AS {sql_type})" if json else f"r.{column.name}")
        self._unnest = (f"{self._head} SELECT {', '.join(values)} "
                        f"FROM unnest({', '.join(arrays)}) AS r ({names}){self._conflict}")

    def part(self, rows: Sequence[dict[str, Any]]) -> Part | None:
        """The insert of `rows` as a part of a statement written `together` (None for no rows)."""
        if not rows:
            return None
        values = self._values(rows)
        if not self._rowwise:
            return Part(self._unnest, tuple(values))
        sql = self._rows_sql.get(len(rows))
        if sql is None:
            width = len(self.columns)
            sql = self._rows_sql[len(rows)] = (f"{self._head} VALUES " + ", ".join(
                _shifted(self._row, row * width) for row in range(len(rows))) + self._conflict)
        return Part(sql, tuple(value for row in zip(*values, strict=True) for value in row))

    def _values(self, rows: Sequence[dict[str, Any]]) -> list[list]:
        return [[ready(row.get(name)) if ready else row.get(name) for row in rows]
                for name, ready in zip(self.columns, self._ready, strict=True)]

    async def run(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
        """Insert `rows` (dicts by column name) in a statement of their own; how many were inserted."""
        part = self.part(rows)
        if part is None:
            return 0
        connection = await driver(session)
        with tracing.driver_sql(part.sql, traced(session)):
            status = await connection.execute(part.sql, *part.args)
        return int(status.rsplit(" ", 1)[-1])


class Updating:
    """One row's columns set by its primary key, each value made ready by its column's type (as
    `Inserting` does): `UPDATE t SET a = $2, ... WHERE key = $1`, the statement made once per set
    of columns, written `together` with the change's other statements."""

    def __init__(self, table: Table, *, key: str = "id") -> None:
        self._table = table
        self._key = table.c[key]
        self._made: dict[tuple[str, ...], tuple[str, list]] = {}

    def part(self, key: Any, values: dict[str, Any]) -> Part:
        """`values` (by column name) set on the row whose key is `key`, as a part of a statement
        written `together`."""
        names = tuple(values)
        made = self._made.get(names)
        if made is None:
            columns = [self._table.c[name] for name in names]
            assignments = ", ".join(f"{column.name} = {_placeholder(column, number)}"
                                    for number, column in enumerate(columns, start=2))
            sql = (f"UPDATE {self._table.name} SET {assignments} "
                   f"WHERE {self._key.name} = $1::{self._key.type.compile(dialect=_ASYNCPG)}")
            made = self._made[names] = (sql, [column.type.bind_processor(_ASYNCPG) for column in columns])
        sql, ready = made
        return Part(sql, (key, *(process(value) if process else value
                                 for process, value in zip(ready, values.values(), strict=True))))


_MAPPED: set[type] = set()


def new_row(model: type[M], **values: Any) -> M:
    """A new row of a table model, as `model(**values)` makes it (defaults filled, no validation:
    SQLModel validates no table model) at a fifth of the cost (14 against 74 µs for a referral):
    pydantic's `model_construct`, then the row's SQLAlchemy state. Its values are set without
    attribute events; changed afterwards, they are tracked as any row's are, and a session it is
    added to inserts every value it holds (the unit of work reads them from the row itself)."""
    if model not in _MAPPED:
        configure_mappers()  # the attributes' event machinery exists only once the mappers are configured
        _MAPPED.add(model)
    row = model.model_construct(**values)
    manager = model._sa_class_manager  # type: ignore[attr-defined]
    manager._state_setter(row, manager._state_constructor(row, manager))  # noqa: SLF001 - what new_instance does
    return row


def loaded_row(session: AsyncSession, model: type[M], values: dict[str, Any]) -> M:
    """A row read on the driver connection (`fetch`), made the session's as if its ORM had loaded
    it: its values are the committed state, a change to it is flushed with the unit of work. A
    tenth of the CPU of an ORM select; `values` must hold every column, as the database gave it
    (a `Protected` column opened)."""
    row = new_row(model, **values)
    make_transient_to_detached(row)
    session.add(row)
    return row


def _placeholder(column, number: int) -> str:
    """The parameter `$number` as a value of the column's type (JSON comes as its text)."""
    sql_type = column.type.compile(dialect=_ASYNCPG)
    return f"CAST(${number}::text AS {sql_type})" if isinstance(_impl(column), JSON) else f"${number}::{sql_type}"


def _impl(column):
    kind = column.type
    return kind.impl if isinstance(kind, TypeDecorator) else kind


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession] | DriverSessions) -> AsyncIterator[AsyncSession]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    if isinstance(sessions, DriverSessions):
        async with (await sessions.pool()).acquire() as connection:
            # Standing in for a session: its handlers use it only through `driver`.
            work = DriverTransaction(connection, sessions.info, traced=tracing.sql_traced(sessions.engine))
            try:
                yield cast(AsyncSession, work)
                await work.end()
            except BaseException:
                await work.rollback()
                raise
            _committed(work.info)
        return
    async with sessions() as session:
        try:
            yield session
            await write_later(session)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
