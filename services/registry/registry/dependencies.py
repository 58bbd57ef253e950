"""Loaders routes declare: `ChildDep` fetches, authorises, audits and 404s in one place; `TransferDep`
fetches and authorises a transfer (locked for a change)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import TextClause, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.children.models import Child, ProviderAccess
from registry.transfers import service as transfers
from registry.transfers.models import Transfer
from sprpa_shared import audit
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.clock import Clock
from sprpa_shared.db import fetch, loaded_row, on_pool, transaction
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep
from sprpa_shared.errors import Gone, NotFound
from sprpa_shared.protect import Protected, protector

_BY_ID = "SELECT * FROM children WHERE id = $1"
_LOCKED = text("SELECT * FROM children WHERE id = :id FOR UPDATE")
_PROTECTED = tuple(column.name for column in Child.__table__.columns if isinstance(column.type, Protected))
_COLUMNS = frozenset(column.name for column in Child.__table__.columns)


async def _read_only(request: Request, child_id: uuid.UUID) -> Child | None:
    """The child for a read: one statement on the read pool, outside any transaction (a read changes
    nothing), its name and NIK opened, the row made a detached `Child` without the ORM."""
    row = await on_pool(request.app.state.read_pool, lambda connection: connection.fetchrow(_BY_ID, child_id))
    if row is None:
        return None
    return Child.model_construct(**_opened(row))


def _opened(row: Mapping[str, Any]) -> dict[str, Any]:
    opened = protector()
    return {**row, **{name: opened.open(row[name]) for name in _PROTECTED}}


def _require_current(child: Child) -> None:
    if child.merged_into is not None:
        raise NotFound("this record was merged into another", merged_into=str(child.merged_into))
    if child.erased_at is not None:
        raise Gone("this child's personal data was erased", erased_on=child.erased_at.date().isoformat(),
                   basis=child.erasure_basis)


async def _readable(child_id: uuid.UUID, request: Request, principal: Principal, clock) -> Child:
    """A GET's child: read, authorised, and its audit row committed before anything is answered."""
    child = await _read_only(request, child_id)
    access.require_read(principal, child)
    _require_current(child)
    await audit.record_read(request, principal=principal, child_ids=[child.id], at=clock.now())
    return child


async def _child(
    child_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> Child:
    if request.method == "GET":
        return await _readable(child_id, request, principal, clock)
    child, _ = await _locked(_LOCKED, child_id, request, session, principal, clock)
    return child


async def _locked(query: TextClause, child_id: uuid.UUID, request: Request, session: AsyncSession,
                  principal: Principal, clock: Clock) -> tuple[Child, dict[str, Any]]:
    """A write's child, and what else `query` read beside its columns. Writers serialise on the row;
    If-Match is checked under the lock. Read on the driver connection and made the session's
    (db.loaded_row): an ORM select was a third of a flag's request."""
    rows = await fetch(session, query, {"id": child_id})
    values = _opened(rows[0]) if rows else {}
    beside = {name: values.pop(name) for name in list(values) if name not in _COLUMNS}
    child = loaded_row(session, Child, values) if rows else None
    access.require_read(principal, child)
    _require_current(child)
    await audit.record(session, principal=principal, request=request, child_ids=[child.id], at=clock.now())
    return child, beside


ChildDep = Annotated[Child, Depends(_child)]


@dataclass(frozen=True)
class ToFlag:
    """A child about to be flagged (`ChildToFlagDep`): locked, authorised and audited as `ChildDep`'s,
    and whether a flag of it already awaits a second person's approval, read with it (a round trip
    fewer on a flag's path: the child's lock serialises every change of its flags)."""

    child: Child
    awaiting_approval: bool


_LOCKED_TO_FLAG = text("SELECT c.*, EXISTS (SELECT FROM flags f WHERE f.child_id = c.id AND f.approval = 'pending')"
                       " AS awaiting_approval FROM children c WHERE c.id = :id FOR UPDATE OF c")


async def _child_to_flag(child_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep,
                         clock: ClockDep) -> ToFlag:
    child, beside = await _locked(_LOCKED_TO_FLAG, child_id, request, session, principal, clock)
    return ToFlag(child, beside["awaiting_approval"])


ChildToFlagDep = Annotated[ToFlag, Depends(_child_to_flag)]


async def _child_or_referred(child_id: uuid.UUID, request: Request, principal: PrincipalDep,
                             clock: ClockDep) -> Child:
    """Like ChildDep for a GET, but provider staff may also read a child their organisation holds a
    live referral for. Opens no session of the request's: the read and its audit need none."""
    if principal.role is not Role.PROVIDER_STAFF:
        return await _readable(child_id, request, principal, clock)
    async with transaction(request.app.state.sessions) as session:
        child = await session.get(Child, child_id)
        live = child is not None and child.merged_into is None and child.erased_at is None and (await session.exec(
            select(ProviderAccess).where(ProviderAccess.child_id == child_id,
                                         ProviderAccess.organization_id == principal.organization_id,
                                         col(ProviderAccess.live)))).first() is not None
    if not access.provider_may_read(principal, live):
        raise NotFound("no such child")
    await audit.record_read(request, principal=principal, child_ids=[child.id], at=clock.now())
    return child


ReadableChildDep = Annotated[Child, Depends(_child_or_referred)]


async def _transfer(transfer_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep) -> Transfer:
    """The transfer the path names, locked for a change; 404 outside the caller's kabupaten."""
    return await transfers.get(session, transfer_id, principal, for_update=request.method != "GET")


TransferDep = Annotated[Transfer, Depends(_transfer)]
