"""Every status change of a case, with who made it and why, as a line of history and an event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel.ext.asyncio.session import AsyncSession

from registry.cases.lifecycle import ALLOWED, CaseStatus, can_move
from registry.cases.models import CaseHistory
from registry.children.models import Child
from sprpa_contracts.events import CaseStatusChanged
from sprpa_shared.auth.principal import Principal
from sprpa_shared.db import Inserting, Part, Updating
from sprpa_shared.errors import Conflict
from sprpa_shared.events.envelope import EventData
from sprpa_shared.events.outbox import emit_all

_CHILD = Updating(Child.__table__)
_LINE = Inserting(CaseHistory.__table__,
                  ["child_id", "at", "actor", "actor_role", "from_status", "to_status", "reason"])


def _line(child: Child, principal: Principal, now: datetime, from_status: str | None, to_status: str,
          reason: str) -> dict[str, Any]:
    return {"child_id": child.id, "at": now, "actor": principal.subject, "actor_role": principal.role.value,
            "from_status": from_status, "to_status": to_status, "reason": reason}


async def record(
    session: AsyncSession, *, child: Child, principal: Principal, now: datetime, from_status: str | None, reason: str
) -> None:
    """A line of the case's history. Written at once on the driver connection (it is never read
    back in the transaction), unless the child itself is not written yet (just registered): then
    the unit of work writes it after the child."""
    line = _line(child, principal, now, from_status, child.status, reason)
    if inspect(child).pending:
        session.add(CaseHistory(**line))
    else:
        await _LINE.run(session, [line])


async def move(
    session: AsyncSession, *, child: Child, target: CaseStatus, principal: Principal, now: datetime, reason: str,
    then: tuple[EventData, ...] = (), basis: str | None = None, also: dict[str, Any] | None = None,
    along: Sequence[Part | None] = (),
) -> None:
    """Move the case to `target` if the lifecycle allows it; refuse with 409 and the reason if not.
    `then`: events of the same change that follow the status change (one outbox write for all);
    `basis`: for a prevented child, what prevented them (service or activities), for the reports;
    `also`: other columns of the child that change with its status (written with it); `along`: the
    change's other rows (a flag's consent and flag), written in the same round trip.

    A child already written gets its new status, its history line and the events in one statement
    on the driver connection (`db.together`), and the values are set on the loaded child as the
    database now holds them: the unit of work has nothing of it to flush (its ORM flush was most of
    a flag's commit). Other changes the caller made to the child are still flushed by the unit of
    work."""
    current = CaseStatus(child.status)
    if not can_move(current, target):
        raise Conflict(
            f"a case that is {current.value} cannot become {target.value}",
            current_status=current.value,
            allowed=sorted(status.value for status in ALLOWED[current]),
        )
    changed = {"status": target.value, "updated_at": now, "version": child.version + 1, **(also or {})}
    events = [CaseStatusChanged(child_id=child.id, village_code=child.village_code, from_status=current.value,
                                to_status=target.value, basis=basis), *then]
    if inspect(child).pending:  # registered in this transaction: the unit of work writes it
        for name, value in changed.items():
            setattr(child, name, value)
        session.add(child)
        await record(session, child=child, principal=principal, now=now, from_status=current.value, reason=reason)
        await emit_all(session, events, at=now, along=along)
        return
    line = _line(child, principal, now, current.value, target.value, reason)
    await emit_all(session, events, at=now, along=[*along, _CHILD.part(child.id, changed), _LINE.part([line])])
    for name, value in changed.items():
        set_committed_value(child, name, value)
