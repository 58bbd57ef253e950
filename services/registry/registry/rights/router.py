"""`/children/{id}/export` and `/children/{id}/erase`: district operators (of the child's
kabupaten) and national admins act on a data subject's request; both are audited."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from registry.children.schemas import ChildPublic
from registry.children.service import to_public
from registry.dependencies import ChildDep
from registry.rights import service
from sprpa_shared.auth.principal import Role
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs

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


@router.post("/{child_id}/erase", dependencies=[needs("registry:write")], response_model=ChildPublic,
             summary="Erase a child's personal data; the id, codes and case history stay so reports add up")
async def erase(data: ErasureRequest, child: ChildDep, session: SessionDep, principal: PrincipalDep,
                clock: ClockDep) -> ChildPublic:
    principal.require_role(Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
    erased = await service.erase(session, child=child, basis=data.basis, reference=data.reference,
                                 principal=principal, now=clock.now())
    return to_public(erased, clock.now().date())
