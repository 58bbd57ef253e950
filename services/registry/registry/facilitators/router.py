"""A case's facilitator and its history; a facilitator's caseload; the district's caseloads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from registry.dependencies import ChildDep
from registry.facilitators import service
from sprpa_shared import audit
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.pagination import Page
from sprpa_shared.protect import protector
from sprpa_shared.text import FreeText

router = APIRouter(prefix="/api/v1", tags=["facilitators"])


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    facilitator_id: uuid.UUID | None = Field(description="the account id of a cadre or facilitator of the child's "
                                             "desa; null takes the case from its facilitator")
    reason: FreeText | None = Field(default=None, max_length=500, description="why (kept in the history, never "
                                    "in events)")


class Assignment(BaseModel):
    facilitator_id: uuid.UUID | None
    assigned_at: datetime
    assigned_by: str
    reason: str | None
    ended_at: datetime | None


class Assignments(BaseModel):
    child_id: uuid.UUID
    facilitator_id: uuid.UUID | None = Field(description="the facilitator now, or null")
    history: list[Assignment] = Field(description="every assignment, oldest first")


class CaseloadItem(BaseModel):
    child_id: uuid.UUID
    full_name: str
    village_code: str
    status: str
    next_visit_due: date | None
    overdue: bool
    due_soon: bool = Field(description=f"the visit falls due within {service.DUE_SOON_DAYS} days")
    assigned_at: datetime


class Caseload(Page[CaseloadItem]):
    """The caller's open cases (all on one page)."""

    due_soon: int
    overdue: int


class FacilitatorLoad(BaseModel):
    facilitator_id: uuid.UUID
    village_code: str | None
    active: bool = Field(description="false: the account was deactivated or is unknown; reassign its cases")
    cases: int
    due_soon: int
    overdue: int


class Caseloads(Page[FacilitatorLoad]):
    """The kabupaten's facilitators with open cases (all on one page)."""

    regency_code: str
    unassigned: int = Field(description="open cases with no facilitator")


async def _assignments(session, child_id: uuid.UUID) -> Assignments:
    rows = await service.history(session, child_id)
    current = rows[-1].facilitator_id if rows and rows[-1].ended_at is None else None
    return Assignments(child_id=child_id, facilitator_id=current,
                       history=[Assignment(**row._mapping) for row in rows])


@router.put("/children/{child_id}/facilitator", dependencies=[needs("registry:write")], response_model=Assignments,
            summary="Assign the case to a facilitator of the child's desa, or reassign it (district operators); "
                    "the history keeps every assignment")
async def assign(child: ChildDep, data: AssignmentIn, session: SessionDep, principal: PrincipalDep,
                 clock: ClockDep) -> Assignments:
    await service.assign(session, child, data.facilitator_id, reason=data.reason, principal=principal,
                         now=clock.now())
    return await _assignments(session, child.id)


@router.get("/children/{child_id}/facilitator", dependencies=[needs("registry:read")], response_model=Assignments,
            summary="The case's facilitator and every earlier assignment")
async def read_assignments(child: ChildDep, session: SessionDep) -> Assignments:
    return await _assignments(session, child.id)


@router.get("/caseload", dependencies=[needs("registry:read")], response_model=Caseload,
            summary="The calling cadre's or facilitator's open cases, the nearest visit first, with visits due "
                    "and overdue")
async def my_caseload(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> Caseload:
    today = clock.now().date()
    rows = await service.caseload(session, principal)
    opened = protector()
    items = [CaseloadItem(child_id=row.id, full_name=opened.open(row.full_name), village_code=row.village_code,
                          status=row.status, next_visit_due=row.next_visit_due,
                          overdue=row.next_visit_due is not None and row.next_visit_due < today,
                          due_soon=row.next_visit_due is not None and 0 <= (row.next_visit_due - today).days
                          <= service.DUE_SOON_DAYS, assigned_at=row.assigned_at) for row in rows]
    await audit.record(session, principal=principal, request=request, at=clock.now(),
                       child_ids=[item.child_id for item in items])
    return Caseload(items=items, due_soon=sum(i.due_soon for i in items), overdue=sum(i.overdue for i in items))


@router.get("/caseloads", dependencies=[needs("registry:read")], response_model=Caseloads,
            summary="The kabupaten's caseloads per facilitator (counts only), and the open cases nobody has")
async def caseloads(regency_code: Annotated[str, Query(pattern=r"^\d{2}\.\d{2}$")], session: SessionDep,
                    principal: PrincipalDep, clock: ClockDep) -> Caseloads:
    rows, unassigned = await service.caseloads(session, principal, regency_code, clock.now().date())
    return Caseloads(regency_code=regency_code, unassigned=unassigned, items=[
        FacilitatorLoad(facilitator_id=r.facilitator_id, village_code=r.facilitator_village, active=r.active,
                        cases=r.cases, due_soon=r.due_soon, overdue=r.overdue) for r in rows])
