"""Loaders routes declare: `ChildDep` fetches, authorises, audits and 404s in one place."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import select

from registry import access
from registry.audit import service as audit
from registry.children.models import Child
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep
from sprpa_shared.errors import NotFound


async def _child(
    child_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> Child:
    lock = request.method != "GET"  # writers serialise on the row; If-Match is checked under the lock
    query = select(Child).where(Child.id == child_id)
    child = (await session.exec(query.with_for_update() if lock else query)).first()
    access.require_read(principal, child)
    if child.merged_into is not None:
        raise NotFound("this record was merged into another", merged_into=str(child.merged_into))
    await audit.record(session, principal=principal, request=request, child_ids=[child.id], at=clock.now())
    return child


ChildDep = Annotated[Child, Depends(_child)]
