"""The append-only audit log of every access to a child's record, one table per service.

Rows are written in the request's transaction: an access that is not recorded did not happen.
The table refuses DELETE and TRUNCATE, and any UPDATE but the sealing of a row (a trigger).

Tamper evidence: a sealer (every service that keeps an audit log runs one) chains the rows in
the order they became visible: row n gets `seal_seq` n and `hash` = SHA-256(hash of row n-1 ||
its fields). Someone who gets past the trigger (a superuser disabling it) and edits, deletes or
inserts a sealed row breaks the chain, and `verify` names the first row that no longer fits.
Sealing in visibility order rather than id order means a transaction that commits late never
leaves a hole behind it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import Request
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.auth.principal import Principal
from sprpa_shared.db import execute, later, on_pool, text_part
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.jobs import periodic
from sprpa_shared.observability import current_traceparent, get_logger, trace_id_of

log = get_logger(__name__)

AUDIT_DDL = [
    """
    CREATE TABLE audit_log (
        id         bigserial PRIMARY KEY,
        at         timestamptz NOT NULL,
        actor      text NOT NULL,
        actor_role text NOT NULL,
        action     text NOT NULL,
        child_id   uuid,
        client_ip  text,
        trace_id   text
    )""",
    "CREATE INDEX audit_log_child ON audit_log (child_id, id)",
    """
    CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
    END $$""",
    """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()""",
]
AUDIT_DROP = ["DROP TABLE audit_log", "DROP FUNCTION audit_log_is_append_only"]

_SEAL_LOCK = 0x5350_5250_4155_44  # one sealer at a time per database
_FIELDS = "{r}.id, {r}.at, {r}.actor, {r}.actor_role, {r}.action, {r}.child_id, {r}.client_ip, {r}.trace_id"

# Added to an existing audit_log by a later migration of each service that has one.
SEAL_DDL = [
    "ALTER TABLE audit_log ADD COLUMN seal_seq bigint UNIQUE, ADD COLUMN hash bytea",
    "CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seal_seq IS NULL",
    "CREATE INDEX audit_log_actor ON audit_log (actor, id)",
    """
    CREATE FUNCTION audit_row_digest(previous bytea, r audit_log) RETURNS bytea
    LANGUAGE sql IMMUTABLE AS $$
        SELECT sha256(coalesce(previous, '\\x'::bytea) || convert_to(concat_ws('|', r.seal_seq, r.id,
            (extract(epoch FROM r.at) * 1000000)::bigint, r.actor, r.actor_role, r.action,
            coalesce(r.child_id::text, '-'), coalesce(r.client_ip, '-'), coalesce(r.trace_id, '-')), 'UTF8'))
    $$""",
    f"""
    CREATE FUNCTION audit_seal(max_rows integer) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE
        last_seq  bigint;
        last_hash bytea;
        r         audit_log;
        sealed    integer := 0;
    BEGIN
        PERFORM pg_advisory_xact_lock({_SEAL_LOCK});
        SELECT seal_seq, hash INTO last_seq, last_hash FROM audit_log
        WHERE seal_seq IS NOT NULL ORDER BY seal_seq DESC LIMIT 1;
        FOR r IN SELECT * FROM audit_log WHERE seal_seq IS NULL ORDER BY id LIMIT max_rows LOOP
            last_seq := coalesce(last_seq, 0) + 1;
            r.seal_seq := last_seq;
            last_hash := audit_row_digest(last_hash, r);
            UPDATE audit_log SET seal_seq = last_seq, hash = last_hash WHERE id = r.id;
            sealed := sealed + 1;
        END LOOP;
        RETURN sealed;
    END $$""",
    """
    CREATE FUNCTION audit_verify() RETURNS TABLE (sealed bigint, first_broken bigint) LANGUAGE plpgsql AS $$
    DECLARE
        expected  bigint := 0;
        last_hash bytea;
        r         audit_log;
    BEGIN
        FOR r IN SELECT * FROM audit_log WHERE seal_seq IS NOT NULL ORDER BY seal_seq LOOP
            expected := expected + 1;
            IF r.seal_seq <> expected OR r.hash IS DISTINCT FROM audit_row_digest(last_hash, r) THEN
                sealed := expected - 1; first_broken := expected; RETURN NEXT; RETURN;
            END IF;
            last_hash := r.hash;
        END LOOP;
        sealed := expected; first_broken := NULL; RETURN NEXT;
    END $$""",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    """
    CREATE TRIGGER audit_log_append_only BEFORE DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()""",
    f"""
    CREATE FUNCTION audit_log_only_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.seal_seq IS NULL AND NEW.seal_seq IS NOT NULL AND NEW.hash IS NOT NULL
           AND ({_FIELDS.format(r="NEW")}) IS NOT DISTINCT FROM ({_FIELDS.format(r="OLD")}) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only';
    END $$""",
    """
    CREATE TRIGGER audit_log_sealing_only BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_only_sealed()""",
]
SEAL_DROP = [
    "DROP TRIGGER audit_log_sealing_only ON audit_log", "DROP FUNCTION audit_log_only_sealed",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()""",
    "DROP FUNCTION audit_verify", "DROP FUNCTION audit_seal", "DROP FUNCTION audit_row_digest",
    "DROP INDEX audit_log_actor", "DROP INDEX audit_log_unsealed",
    "ALTER TABLE audit_log DROP COLUMN hash, DROP COLUMN seal_seq",
]

# Added by a later migration of each service with an audit log: what happened (allowed, refused)
# and which other record was touched (a household, an import). Rows before it keep both NULL, and
# the digest skips NULLs, so their seals still verify.
OUTCOME_DDL = [
    "ALTER TABLE audit_log ADD COLUMN outcome text, ADD COLUMN object_id uuid",
    "ALTER TABLE audit_log ALTER COLUMN outcome SET DEFAULT 'allowed'",
    "CREATE INDEX audit_log_object ON audit_log (object_id, id) WHERE object_id IS NOT NULL",
    """
    CREATE OR REPLACE FUNCTION audit_row_digest(previous bytea, r audit_log) RETURNS bytea
    LANGUAGE sql IMMUTABLE AS $$
        SELECT sha256(coalesce(previous, '\\x'::bytea) || convert_to(concat_ws('|', r.seal_seq, r.id,
            (extract(epoch FROM r.at) * 1000000)::bigint, r.actor, r.actor_role, r.action,
            coalesce(r.child_id::text, '-'), coalesce(r.client_ip, '-'), coalesce(r.trace_id, '-'),
            'outcome=' || r.outcome, 'object=' || r.object_id::text), 'UTF8'))
    $$""",
    f"""
    CREATE OR REPLACE FUNCTION audit_log_only_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.seal_seq IS NULL AND NEW.seal_seq IS NOT NULL AND NEW.hash IS NOT NULL
           AND ({_FIELDS.format(r="NEW")}, NEW.outcome, NEW.object_id)
               IS NOT DISTINCT FROM ({_FIELDS.format(r="OLD")}, OLD.outcome, OLD.object_id) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only';
    END $$""",
]
OUTCOME_DROP = [SEAL_DDL[3].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
                SEAL_DDL[8].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
                "DROP INDEX audit_log_object", "ALTER TABLE audit_log DROP COLUMN object_id, DROP COLUMN outcome"]

# Added by a later migration still: seals keyed with a key the database does not hold (HMAC-SHA-256,
# `seal_key` names the key), so nobody who can only reach the database can seal an edited chain
# again. Rows sealed before keep `seal_key` NULL and their unkeyed digest; after the first keyed
# row, an unkeyed one is a break. The row's message is defined once, in SQL, for both.
_MESSAGE = """concat_ws('|', seq, r.id, (extract(epoch FROM r.at) * 1000000)::bigint, r.actor, r.actor_role, r.action,
            coalesce(r.child_id::text, '-'), coalesce(r.client_ip, '-'), coalesce(r.trace_id, '-'),
            'outcome=' || r.outcome, 'object=' || r.object_id::text)"""
KEYED_DDL = [
    "ALTER TABLE audit_log ADD COLUMN seal_key text",
    f"""
    CREATE FUNCTION audit_row_message(r audit_log, seq bigint) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
        SELECT convert_to({_MESSAGE}, 'UTF8')
    $$""",
    """
    CREATE OR REPLACE FUNCTION audit_row_digest(previous bytea, r audit_log) RETURNS bytea
    LANGUAGE sql IMMUTABLE AS $$
        SELECT sha256(coalesce(previous, '\\x'::bytea) || audit_row_message(r, r.seal_seq))
    $$""",
]
KEYED_DROP = [OUTCOME_DDL[3], "DROP FUNCTION audit_row_message", "ALTER TABLE audit_log DROP COLUMN seal_key"]

# Added by a later migration still (issue 27): one row may name many children (`child_ids`), as a
# bulk import's batch does: one row per batch instead of one per child. The message gains the list;
# concat_ws skips a NULL, so every row written before (and every row naming one child) keeps its
# message and its seal.
_FIELDS_WITH_CHILDREN = f"({_FIELDS}, {{r}}.outcome, {{r}}.object_id, {{r}}.child_ids)"
CHILDREN_DDL = [
    "ALTER TABLE audit_log ADD COLUMN child_ids uuid[]",
    "CREATE INDEX audit_log_children ON audit_log USING gin (child_ids) WHERE child_ids IS NOT NULL",
    f"""
    CREATE OR REPLACE FUNCTION audit_row_message(r audit_log, seq bigint) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
        SELECT convert_to(concat_ws('|', {_MESSAGE.removeprefix("concat_ws('|', ").removesuffix(")")},
            'children=' || r.child_ids::text), 'UTF8')
    $$""",
    f"""
    CREATE OR REPLACE FUNCTION audit_log_only_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.seal_seq IS NULL AND NEW.seal_seq IS NOT NULL AND NEW.hash IS NOT NULL
           AND {_FIELDS_WITH_CHILDREN.format(r="NEW")} IS NOT DISTINCT FROM {_FIELDS_WITH_CHILDREN.format(r="OLD")} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only';
    END $$""",
]
CHILDREN_DROP = [KEYED_DDL[1].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"), OUTCOME_DDL[4],
                 "DROP INDEX audit_log_children", "ALTER TABLE audit_log DROP COLUMN child_ids"]
# A child's rows: those naming it alone, and those naming it among others (an import's batch).
NAMES_CHILD = "(child_id = {child} OR child_ids @> ARRAY[{child}]::uuid[])"

ALLOWED, REFUSED = "allowed", "refused"
_RECORD = text(
    "INSERT INTO audit_log (at, actor, actor_role, action, child_id, client_ip, trace_id, object_id, outcome) "
    "SELECT :at, :actor, :role, :action, unnest(CAST(:child_ids AS uuid[])), :ip, :trace, :object, :outcome"
)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def action_of(request: Request) -> str:
    """`METHOD /route/{template}`: what was done, without the values in the path."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


async def record(
    session: AsyncSession,
    *,
    principal: Principal,
    request: Request,
    child_ids: list[uuid.UUID],
    at: datetime,
    action: str | None = None,
    object_id: uuid.UUID | None = None,
) -> None:
    """One row per child read or written (none when the list is empty and no other record is named),
    written with the transaction's next statements (`db.later`): it is never read back before the
    commit, and the request's transaction writes it if nothing else does."""
    if child_ids or object_id:
        later(session, text_part(_RECORD, _values(
            actor=principal.subject, role=principal.role.value, action=action or action_of(request),
            request=request, at=at, child_ids=list(child_ids) if child_ids else [None], object_id=object_id,
            outcome=ALLOWED)))


_RECORD_ROWS = """
INSERT INTO audit_log (at, actor, actor_role, action, child_id, client_ip, trace_id, object_id, outcome)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[],
                     $8::uuid[], $9::text[])
"""


class GroupCommit:
    """The audit rows of concurrent reads, written and committed together.

    A read adds its rows and waits for the commit of the batch they went into: it is answered only
    once its audit row is durable, as when the row shared the request's transaction, and a crash
    before that commit loses no answered read's row. A batch is what arrived while the one before
    was being written (the first read after a quiet moment goes alone, at once), so fifty reads in
    flight cost one INSERT and one commit, not fifty transactions. A failed write fails every read
    of its batch.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._waiting: list[tuple[list[tuple], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, rows: list[tuple]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((rows, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="audit group commit")
        await asyncio.shield(done)  # a read given up by its client still gets its row

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self._insert([row for rows, _ in batch for row in rows])
            except Exception as error:  # noqa: BLE001 - handed to every read of the batch
                for _, done in batch:
                    done.set_exception(error)
            else:
                for _, done in batch:
                    done.set_result(None)

    async def _insert(self, rows: list[tuple]) -> None:
        columns = [list(column) for column in zip(*rows, strict=True)]
        await on_pool(self._pool, lambda connection: connection.execute(_RECORD_ROWS, *columns))

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)


async def record_read(request: Request, *, principal: Principal, child_ids: list[uuid.UUID], at: datetime) -> None:
    """A read of children's records, outside any transaction of the request's: one row per child,
    group-committed (`GroupCommit`) before the read is answered."""
    ip, trace, action = _client_ip(request), trace_id_of(current_traceparent()), action_of(request)
    await request.app.state.audit_writer.write([
        (at, principal.subject, principal.role.value, action, child_id, ip, trace, None, ALLOWED)
        for child_id in child_ids])


async def record_refusal(engine, *, principal: Principal, request: Request, at: datetime,
                         child_id: uuid.UUID | None, object_id: uuid.UUID | None) -> None:
    """A refused attempt (403, or 404 on a record that exists outside the caller's scope), in a
    transaction of its own: the request's own was rolled back with the refusal."""
    async with engine.begin() as connection:
        await connection.execute(_RECORD, _values(actor=principal.subject, role=principal.role.value,
                                                  action=action_of(request), request=request, at=at,
                                                  child_ids=[child_id], object_id=object_id, outcome=REFUSED))


async def record_event(session: AsyncSession, *, actor: str, role: str, action: str, request: Request,
                       at: datetime) -> None:
    """An audited act that names no child: a login, a failed login, a lockout, an export."""
    await _write(session, actor=actor, role=role, action=action, request=request, at=at, child_ids=[None])


async def _write(session: AsyncSession, *, actor: str, role: str, action: str, request: Request, at: datetime,
                 child_ids: list[uuid.UUID | None], object_id: uuid.UUID | None = None) -> None:
    await execute(session, _RECORD, _values(  # on the driver connection, in the request's transaction
        actor=actor, role=role, action=action, request=request, at=at, child_ids=child_ids, object_id=object_id,
        outcome=ALLOWED))


def _values(*, actor: str, role: str, action: str, request: Request, at: datetime,
            child_ids: list[uuid.UUID | None], object_id: uuid.UUID | None, outcome: str) -> dict:
    return {"at": at, "actor": actor, "role": role, "action": action, "child_ids": child_ids,
            "ip": _client_ip(request), "trace": trace_id_of(current_traceparent()),
            "object": object_id, "outcome": outcome}


# Rows sealed per round trip: the hashing runs on the service's event loop, so a batch is kept
# small enough not to hold up the requests being answered meanwhile.
SEAL_BATCH = 500
VERIFY_BATCH = 5000
_LAST_SEALED = text("SELECT seal_seq, hash FROM audit_log WHERE seal_seq IS NOT NULL ORDER BY seal_seq DESC LIMIT 1")
_TO_SEAL = text("""
SELECT u.id, u.seq, audit_row_message(u.a, u.seq) AS message FROM (
    SELECT a, a.id, CAST(:last AS bigint) + row_number() OVER (ORDER BY a.id) AS seq
    FROM audit_log a WHERE a.seal_seq IS NULL ORDER BY a.id LIMIT :n) u
ORDER BY u.seq
""")
_SEAL_ROWS = text("""
UPDATE audit_log SET seal_seq = v.seq, hash = v.hash, seal_key = :key_id
FROM unnest(CAST(:ids AS bigint[]), CAST(:seqs AS bigint[]), CAST(:hashes AS bytea[])) AS v (id, seq, hash)
WHERE audit_log.id = v.id
""")
_SEALED = text("""
SELECT a.seal_seq, a.hash, a.seal_key, audit_row_message(a, a.seal_seq) AS message FROM audit_log a
WHERE a.seal_seq > :after ORDER BY a.seal_seq LIMIT :n
""")


@dataclass(frozen=True)
class Keyring:
    """The keys seals are made with (`current`) and checked against (all of them)."""

    keys: dict[str, bytes]
    current: str

    @classmethod
    def from_config(cls, *, audit_keys: str, audit_key_current: str, secret_key: str) -> Keyring:
        if not audit_keys:  # dev and test only: the settings refuse it in production
            derived = HKDF(algorithm=SHA256(), length=32, salt=b"sprpa", info=b"sprpa audit seal").derive(
                secret_key.encode())
            return cls({"derived": derived}, "derived")
        keys = {key_id: base64.b64decode(value) for key_id, value in json.loads(audit_keys).items()}
        if audit_key_current not in keys or any(len(key) < 32 for key in keys.values()):
            raise ValueError("AUDIT_KEY_CURRENT must name one of AUDIT_KEYS, each 32 bytes or more")
        return cls(keys, audit_key_current)

    def seal(self, previous: bytes | None, message: bytes, key_id: str | None = None) -> bytes:
        return hmac.new(self.keys[key_id or self.current], (previous or b"") + message, hashlib.sha256).digest()


async def seal(connection, keyring: Keyring) -> tuple[int, int | None, bytes | None]:
    """Seal every row written so far, in batches: (how many, the head's seal_seq and hash)."""
    await connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _SEAL_LOCK})
    head = (await connection.execute(_LAST_SEALED)).first()
    last_seq, last_hash = (head.seal_seq, bytes(head.hash)) if head else (0, None)
    total = 0
    while True:
        rows = (await connection.execute(_TO_SEAL, {"last": last_seq, "n": SEAL_BATCH})).all()
        if not rows:
            return total, (last_seq or None), last_hash
        hashes = []
        for row in rows:
            last_hash = keyring.seal(last_hash, bytes(row.message))
            hashes.append(last_hash)
        await connection.execute(_SEAL_ROWS, {"ids": [row.id for row in rows], "seqs": [row.seq for row in rows],
                                              "hashes": hashes, "key_id": keyring.current})
        total, last_seq = total + len(rows), rows[-1].seq


async def verify(connection, keyring: Keyring) -> tuple[int, int | None, int | None, bytes | None]:
    """(rows sealed, the first seal_seq that does not fit or None, the head's seal_seq and hash)."""
    previous, expected, keyed = None, 0, False
    while True:
        rows = (await connection.execute(_SEALED, {"after": expected, "n": VERIFY_BATCH})).all()
        for row in rows:
            expected += 1
            stored, message = bytes(row.hash) if row.hash is not None else None, bytes(row.message)
            if row.seal_key is None:
                good = not keyed and stored == hashlib.sha256((previous or b"") + message).digest()
            else:
                keyed = True
                good = row.seal_key in keyring.keys and stored == keyring.seal(previous, message, row.seal_key)
            if row.seal_seq != expected or not good:
                return expected - 1, expected, expected - 1, previous
            previous = stored
        if len(rows) < VERIFY_BATCH:
            return expected, None, expected or None, previous


def anchor_subject(service: str) -> str:
    return f"sprpa.{service}.audit.anchored._._"


async def anchor(app, seal_seq: int, digest: bytes) -> None:
    """The chain's head, published to the service's own stream (deny-delete, outside the database)
    and logged: `verify` holds the database to the latest anchor, so a cut tail or a chain sealed
    again shows."""
    service = app.state.settings.service
    log.info("audit chain anchored", seal_seq=seal_seq, hash=digest.hex())
    bus = getattr(app.state, "bus", None)
    if bus is None or not bus.ready:
        return
    envelope = Envelope(source=f"/sprpa/{service}", type="sprpa.audit.anchored.v1", subject=None,
                        data={"service": service, "seal_seq": seal_seq, "hash": digest.hex()})
    await bus.js.publish(anchor_subject(service), envelope.to_bytes(),
                         headers={"Nats-Msg-Id": f"audit-anchor-{service}-{seal_seq}"})


async def latest_anchor(app) -> tuple[int, bytes] | None:
    bus = getattr(app.state, "bus", None)
    if bus is None or not bus.ready:
        return None
    service = app.state.settings.service
    try:
        message = await bus.js.get_last_msg(service.upper(), anchor_subject(service))
    except Exception:  # noqa: BLE001 - no anchor yet (or NATS away): verify says so
        return None
    data = Envelope.from_bytes(message.data).data
    return int(data["seal_seq"]), bytes.fromhex(data["hash"])


async def seal_pass(app) -> int:
    async with app.state.engine.begin() as connection:
        sealed, head_seq, head_hash = await seal(connection, app.state.settings.audit_keyring())
    if sealed and head_seq and head_hash:
        await anchor(app, head_seq, head_hash)
    return sealed


# The app job of a service with an audit log: seal new rows every `audit_seal_seconds`.
sealer = periodic(seal_pass, every="audit_seal_seconds", what="audit sealing")
