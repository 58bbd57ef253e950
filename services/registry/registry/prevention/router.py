"""A kabupaten's rule for prevention through activities: read it, set a new version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from registry import access
from registry.prevention import service
from registry.prevention.rules import PreventionRule, in_force
from registry.prevention.schemas import PreventionRuleIn, PreventionRulePublic, PreventionRules
from sprpa_shared.auth.principal import Principal
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["prevention"])
RegencyCode = Annotated[str, Path(pattern=r"^\d{2}\.\d{2}$")]


def _public(rule: PreventionRule) -> PreventionRulePublic:
    return PreventionRulePublic(regency_code=rule.regency_code, version=rule.version, min_sessions=rule.min_sessions,
                                window_months=rule.window_months, kinds=list(rule.kinds),
                                effective_from=rule.effective_from)


def _require_reader(principal: Principal, regency_code: str) -> None:
    """Whoever covers the whole kabupaten: its operators and integration clients, national admins."""
    if principal.role not in access.PLACED_ROLES or not principal.covers_place(regency_code):
        raise NotFound("no such kabupaten in your area")


async def _rules(session, regency_code: str, clock) -> PreventionRules:
    versions = await service.versions(session, regency_code)
    return PreventionRules(regency_code=regency_code,
                           in_force=_public(in_force(versions, regency_code, clock.now().date())),
                           versions=[_public(rule) for rule in versions])


@router.get("/regencies/{regency_code}/prevention-rule", dependencies=[needs("registry:read")],
            response_model=PreventionRules,
            summary="The kabupaten's rule for prevention through activities: the version in force, and all")
async def read_rule(regency_code: RegencyCode, session: SessionDep, principal: PrincipalDep,
                    clock: ClockDep) -> PreventionRules:
    _require_reader(principal, regency_code)
    return await _rules(session, regency_code, clock)


@router.put("/regencies/{regency_code}/prevention-rule", dependencies=[needs("registry:write")],
            response_model=PreventionRules,
            summary="Set a new version of the kabupaten's rule (district operators); the same rule sent again "
                    "makes no new version")
async def set_rule(regency_code: RegencyCode, data: PreventionRuleIn, session: SessionDep, principal: PrincipalDep,
                   clock: ClockDep) -> PreventionRules:
    access.require_district_writer_of(principal, regency_code)
    versions = await service.versions(session, regency_code)
    latest = versions[-1] if versions else None
    same = latest is not None and (latest.min_sessions, latest.window_months, latest.kinds, latest.effective_from) \
        == (data.min_sessions, data.window_months, tuple(dict.fromkeys(data.kinds)), data.effective_from)
    if not same:
        await service.set_rule(session, regency_code, data, by=principal.subject, now=clock.now())
    return await _rules(session, regency_code, clock)
