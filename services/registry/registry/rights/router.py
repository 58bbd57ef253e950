"""`/children/{id}/export`, `/children/{id}/erase` and `/children/{id}/accesses`: district operators
(of the child's kabupaten) and national admins act on a data subject's request and see who read
the record; all are audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from registry.children.schemas import ChildPublic
from registry.children.service import to_public
from registry.dependencies import ChildDep
from registry.rights import service
from sprpa_shared.auth.principal import Role
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.pagination import Limit, Page

router = APIRouter(prefix="/api/v1/children", tags=["data subject rights"])


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    basis: Literal["data_subject_request", "court_order"] = Field(
        description="why (the retention period erases on its own, as `retention`)")
    reference: Annotated[str | None, Field(max_length=100, description="the letter or decision number")] = None


@router.get("/{child_id}/export", dependencies=[needs("registry:read")],
            summary="Everything the registry holds about a child, for the child or guardian")
async def export(child: ChildDep, session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> dict:
    principal.require_role(Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
    return await service.export(session, child, clock.now().date())


class Access(BaseModel):
    at: datetime
    actor: str = Field(description="the person's username, the API client's id, or the service")
    actor_role: str
    action: str = Field(description="the route template read or changed")
    outcome: str | None = Field(description="refused: the attempt was refused")


class Accesses(Page[Access]):
    pass


_ACCESSES = text("""SELECT id, at, actor, actor_role, action, outcome FROM audit_log
                    WHERE child_id = :child AND id < :before ORDER BY id DESC LIMIT :limit""")


@router.get("/{child_id}/accesses", dependencies=[needs("registry:read")], response_model=Accesses,
            summary="Who read or changed the child's record, newest first (district operators, national admins)")
async def accesses(child: ChildDep, session: SessionDep, principal: PrincipalDep, limit: Limit = 100,
                   cursor: Annotated[str | None, Query(pattern=r"^\d{1,19}$",
                                                       description="next_cursor of the previous page")] = None
                   ) -> Accesses:
    principal.require_role(Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
    rows = (await (await session.connection()).execute(_ACCESSES, {
        "child": child.id, "before": int(cursor) if cursor else 2**63 - 1, "limit": limit + 1})).mappings().all()
    return Accesses(items=[Access(**row) for row in rows[:limit]],
                    next_cursor=str(rows[limit - 1]["id"]) if len(rows) > limit else None)


@router.post("/{child_id}/erase", dependencies=[needs("registry:write")], response_model=ChildPublic,
             summary="Erase a child's personal data; the id, codes and case history stay so reports add up")
async def erase(data: ErasureRequest, child: ChildDep, session: SessionDep, principal: PrincipalDep,
                clock: ClockDep) -> ChildPublic:
    principal.require_role(Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
    erased = await service.erase(session, child=child, basis=data.basis, reference=data.reference,
                                 principal=principal, now=clock.now())
    return to_public(erased, clock.now().date())
