"""Finding possible duplicates of a child within the caller's scope, and merging them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.cases import history
from registry.cases.models import Consent, Flag
from registry.children.models import Child
from registry.duplicates import sounds
from registry.duplicates.rules import BIRTH_DATE_TOLERANCE_DAYS, Record, likeness, name_sounds
from registry.visits.models import Visit
from sprpa_contracts.events import ChildMerged, ChildMergeRequested
from sprpa_shared.auth.principal import Principal
from sprpa_shared.errors import Conflict, Forbidden, ValidationFailed
from sprpa_shared.events.outbox import emit
from sprpa_shared.protect import protector


@dataclass(frozen=True)
class PossibleDuplicate:
    child_id: uuid.UUID
    score: float
    reasons: tuple[str, ...]


def _record(child: Child) -> Record:
    return Record(child.full_name, child.birth_date, child.village_code[:8], child.nik)


async def find(session: AsyncSession, *, child: Child, principal: Principal) -> list[PossibleDuplicate]:
    """Children in the caller's scope that may be this one, best first.

    Only the caller's scope is searched: a match elsewhere would tell them a child exists there.
    """
    window = timedelta(days=BIRTH_DATE_TOLERANCE_DAYS)
    nearby = (col(Child.district_code) == child.village_code[:8]) & col(Child.birth_date).between(
        child.birth_date - window, child.birth_date + window
    )
    own = name_sounds(child.full_name)
    _, sought = sounds.tags(own, child.village_code[:8], child.birth_date)
    given = {"c": "children", "sought": "CAST(:sought AS integer[])", "count": "CAST(:sounds AS integer)"}
    alike = text(f"{sounds.LOOKUP.format(**given)} AND {sounds.ALIKE.format(**given)}").bindparams(
        sought=sought, sounds=len(own))
    # One OR of indexable arms, so the planner can take each from its index: the tags (GIN), the
    # children without tags yet (a partial index), the NIK's blind index.
    arms = [and_(nearby, alike), and_(nearby, col(Child.name_sounds).is_(None))]
    if child.nik:
        arms.append(col(Child.nik_index) == protector().index(child.nik))
    query = select(Child).where(
        access.scope_filter(principal),
        col(Child.merged_into).is_(None),
        Child.id != child.id,
        or_(*arms),
    )
    found = []
    for other in (await session.exec(query)).all():
        alike = likeness(_record(child), _record(other))
        if alike is not None:
            found.append(PossibleDuplicate(other.id, alike.score, alike.reasons))
    return sorted(found, key=lambda item: (-item.score, item.child_id))


async def ask_to_merge(session: AsyncSession, *, child: Child, duplicate_id: uuid.UUID, principal: Principal,
                       now: datetime) -> None:
    """Whoever sees two records of one child (a cadre after a sync) asks the district to merge them:
    recorded in the child's history and announced (`child.merge_requested`) for the operators."""
    if duplicate_id == child.id:
        raise ValidationFailed("a child cannot be a duplicate of itself", field="duplicate_id")
    duplicate = (await session.exec(select(Child).where(Child.id == duplicate_id))).first()
    access.require_read(principal, duplicate)
    if duplicate.merged_into is not None or child.merged_into is not None:
        raise Conflict("one of the records was already merged")
    await history.record(session, child=child, principal=principal, now=now, from_status=child.status,
                         reason=f"merge with {duplicate.id} asked")
    await emit(session, ChildMergeRequested(child_id=child.id, duplicate_id=duplicate.id,
                                            village_code=child.village_code), at=now)


# Sessions the duplicate took part in count for the survivor (once, if both were listed); its costs follow.
_MOVE_PROGRAMME = text("""
WITH moved AS (
    DELETE FROM session_children WHERE child_id = :duplicate RETURNING session_id, held_on, kind
), kept AS (
    INSERT INTO session_children (session_id, child_id, held_on, kind)
    SELECT session_id, :survivor, held_on, kind FROM moved ON CONFLICT DO NOTHING
)
UPDATE costs SET child_id = :survivor WHERE child_id = :duplicate
""")


async def merge(session: AsyncSession, *, survivor: Child, duplicate_id: uuid.UUID, principal: Principal,
                now: datetime) -> Child:
    """The duplicate's visits, flags and consents move to the survivor; the duplicate points at it."""
    access.require_district(principal)
    if duplicate_id == survivor.id:
        raise ValidationFailed("a child cannot be merged into itself", field="duplicate_id")
    duplicate = (await session.exec(select(Child).where(Child.id == duplicate_id).with_for_update())).first()
    access.require_read(principal, duplicate)
    if duplicate.merged_into is not None:
        raise Conflict("that record was already merged", merged_into=str(duplicate.merged_into))
    if not principal.covers_place(survivor.village_code):
        raise Forbidden("both records must be in your area")
    await session.exec(update(Visit).where(col(Visit.child_id) == duplicate.id)
                       .values(child_id=survivor.id, updated_at=now))
    for table in (Flag, Consent):
        await session.exec(update(table).where(col(table.child_id) == duplicate.id).values(child_id=survivor.id))
    await (await session.connection()).execute(_MOVE_PROGRAMME, {"survivor": survivor.id, "duplicate": duplicate.id})
    duplicate.merged_into = survivor.id
    duplicate.version += 1
    duplicate.updated_at = now
    session.add(duplicate)
    await history.record(session, child=duplicate, principal=principal, now=now, from_status=duplicate.status,
                         reason=f"merged into {survivor.id}")
    survivor.version += 1
    survivor.updated_at = now
    session.add(survivor)
    await emit(session, ChildMerged(child_id=survivor.id, merged_id=duplicate.id, village_code=survivor.village_code,
                                    merged_village_code=duplicate.village_code), at=now)
    return survivor

