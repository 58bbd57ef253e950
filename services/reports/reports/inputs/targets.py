"""A pilot desa's targets (withdrawn, prevented, mapped), set by the kabupaten's operators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from reports.place import parse
from sprpa_shared.auth.principal import Role
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import Forbidden, ValidationFailed

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


class Targets(BaseModel):
    """A pilot desa's targets; one left out takes the settings' default (20, 200, 220)."""

    model_config = ConfigDict(extra="forbid")

    withdrawn_target: int | None = Field(default=None, ge=0, le=100_000)
    prevented_target: int | None = Field(default=None, ge=0, le=100_000)
    mapping_target: int | None = Field(default=None, ge=0, le=100_000, description="children to map in the desa")


_TARGETS = text("""
INSERT INTO pilot_targets (village_code, withdrawn_target, prevented_target, mapping_target, updated_at, updated_by)
VALUES (:village, :withdrawn, :prevented, :mapping, :at, :by)
ON CONFLICT (village_code) DO UPDATE SET withdrawn_target = EXCLUDED.withdrawn_target,
    prevented_target = EXCLUDED.prevented_target, mapping_target = EXCLUDED.mapping_target,
    updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
""")


@router.put("/pilot/targets/{village_code}", dependencies=[needs("reports:write")], response_model=Targets,
            summary="Make a desa a pilot village with its targets (the district's operators)")
async def set_targets(village_code: str, data: Targets, request: Request, session: SessionDep,
                      principal: PrincipalDep, clock: ClockDep) -> Targets:
    place = parse(village_code)
    if place.level != "desa":
        raise ValidationFailed("targets are per desa: give a desa code such as 35.09.11.2007", field="village_code")
    if principal.role not in (Role.NATIONAL_ADMIN, Role.DISTRICT_OPERATOR) or not principal.covers_place(
            village_code):
        raise Forbidden("only the kabupaten's operators set its pilot targets")
    settings = request.app.state.settings
    targets = Targets(withdrawn_target=_given(data.withdrawn_target, settings.pilot_withdrawn_target),
                      prevented_target=_given(data.prevented_target, settings.pilot_prevented_target),
                      mapping_target=_given(data.mapping_target, settings.pilot_mapping_target))
    await (await session.connection()).execute(_TARGETS, {
        "village": village_code, "withdrawn": targets.withdrawn_target, "prevented": targets.prevented_target,
        "mapping": targets.mapping_target, "at": clock.now(), "by": principal.subject})
    return targets


def _given(value: int | None, default: int) -> int:
    return default if value is None else value
