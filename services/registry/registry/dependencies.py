"""Loaders routes declare: `ChildDep` fetches, authorises, audits and 404s in one place."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import bindparam
from sqlmodel import col, select

from registry import access
from registry.children.models import Child, ProviderAccess
from sprpa_shared import audit
from sprpa_shared.auth.principal import Role
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep
from sprpa_shared.errors import Gone, NotFound

_BY_ID = select(Child.__table__).where(Child.__table__.c.id == bindparam("id"))


async def _read_only(session, child_id: uuid.UUID) -> Child | None:
    """The child for a read: one Core statement (the columns' types still decrypt name and NIK),
    the row made a detached `Child` without the ORM's identity map and unit of work (a read
    changes nothing)."""
    row = (await (await session.connection()).execute(_BY_ID, {"id": child_id})).first()
    return Child.model_construct(**row._mapping) if row is not None else None


async def _child(
    child_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> Child:
    if request.method == "GET":
        child = await _read_only(session, child_id)
    else:  # writers serialise on the row; If-Match is checked under the lock
        child = (await session.exec(select(Child).where(Child.id == child_id).with_for_update())).first()
    access.require_read(principal, child)
    if child.merged_into is not None:
        raise NotFound("this record was merged into another", merged_into=str(child.merged_into))
    if child.erased_at is not None:
        raise Gone("this child's personal data was erased", erased_on=child.erased_at.date().isoformat(),
                   basis=child.erasure_basis)
    await audit.record(session, principal=principal, request=request, child_ids=[child.id], at=clock.now())
    return child


ChildDep = Annotated[Child, Depends(_child)]


async def _child_or_referred(
    child_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> Child:
    """Like ChildDep, but provider staff may also read a child their organisation holds a live referral for."""
    if principal.role is not Role.PROVIDER_STAFF:
        return await _child(child_id, request, session, principal, clock)
    child = await session.get(Child, child_id)
    live = child is not None and child.merged_into is None and child.erased_at is None and (await session.exec(
        select(ProviderAccess).where(ProviderAccess.child_id == child_id,
                                     ProviderAccess.organization_id == principal.organization_id,
                                     col(ProviderAccess.live)))).first() is not None
    if not access.provider_may_read(principal, live):
        raise NotFound("no such child")
    await audit.record(session, principal=principal, request=request, child_ids=[child.id], at=clock.now())
    return child


ReadableChildDep = Annotated[Child, Depends(_child_or_referred)]
