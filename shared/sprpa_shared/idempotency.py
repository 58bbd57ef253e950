"""`Idempotency-Key` on every create (IETF httpapi-idempotency-key-header): the first request with a
key creates; a retry with the same key and the same body gets what the first created; the same key
with another body is a 422. Keys are per caller. Every service that creates keeps the table below."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Header, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.auth.principal import Principal
from sprpa_shared.errors import ValidationFailed
from sprpa_shared.ids import new_id

T = TypeVar("T")

# The table, as each service's migration creates it (the registry's came in two steps, 0002 and 0011).
DDL = ["""
    CREATE TABLE idempotency_keys (
        actor       text NOT NULL,
        key         text NOT NULL,
        route       text NOT NULL,
        resource_id uuid NOT NULL,
        fingerprint text,
        created_at  timestamptz NOT NULL,
        PRIMARY KEY (actor, key)
    )"""]
DROP = ["DROP TABLE idempotency_keys"]

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                              description="send the same key to retry a create safely")]

_CLAIM = text("INSERT INTO idempotency_keys (actor, key, route, resource_id, fingerprint, created_at) "
              "VALUES (:a, :k, :r, :id, :f, :now) ON CONFLICT DO NOTHING RETURNING resource_id")
_EARLIER = text("SELECT resource_id, route, fingerprint FROM idempotency_keys WHERE actor = :a AND key = :k")


def fingerprint(route: str, body: BaseModel) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{route}\n{canonical}".encode()).hexdigest()


async def once(session: AsyncSession, response: Response, *, principal: Principal, key: str | None, route: str,
               body: BaseModel, now: datetime, create: Callable[[uuid.UUID], Awaitable[T]],
               replay: Callable[[uuid.UUID], Awaitable[T]]) -> T:
    """`create(new id)`; or, for the same key and body again, `replay(the id the first one created)`,
    marked `Idempotent-Replayed: true`."""
    resource_id = new_id()
    earlier = await claim(session, principal=principal, key=key, route=route, body=body, resource_id=resource_id,
                          now=now)
    if earlier is None:
        return await create(resource_id)
    response.headers["Idempotent-Replayed"] = "true"
    return await replay(earlier)


async def claim(session: AsyncSession, *, principal: Principal, key: str | None, route: str, body: BaseModel,
                resource_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
    """None when this request is to create (no key, or it claimed the key for `resource_id`); else the
    id of what an earlier (or concurrent, then awaited) request with the same key and body created."""
    if not key:
        return None
    connection = await session.connection()
    values = {"a": principal.subject, "k": key, "r": route, "id": resource_id, "f": fingerprint(route, body),
              "now": now}
    if (await connection.execute(_CLAIM, values)).first() is not None:
        return None
    earlier = (await connection.execute(_EARLIER, values)).one()
    if earlier.route != route or (earlier.fingerprint is not None and earlier.fingerprint != values["f"]):
        raise ValidationFailed("this Idempotency-Key was used for another request; send a new key for a new "
                               "request", field="Idempotency-Key")
    return earlier.resource_id
