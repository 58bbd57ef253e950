"""Recording and computing a desa's roadmap milestones, and the status they give."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.visits.rules import LABOUR_RESULTS, add_months
from sprpa_contracts.events import MilestoneReached
from sprpa_contracts.vocabulary import InstitutionType, Milestone
from sprpa_shared.auth.principal import Principal
from sprpa_shared.errors import NotFound, ValidationFailed
from sprpa_shared.events.outbox import emit
from sprpa_shared.text import PlainText

RECORDED = (Milestone.ROADMAP_WORKSHOP, Milestone.RPJMDES_INTEGRATED)  # what the district records
CORE_INSTITUTIONS = (InstitutionType.GTDLA, InstitutionType.PATBM, InstitutionType.FAD)
UNREMEDIATED = ("identified", "assessed", "flagged", "referred")  # found, but no service begun
_LABOUR = tuple(LABOUR_RESULTS)


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reached_on: date | None = Field(description="null: the milestone is taken back (recorded by mistake)")
    reference: PlainText | None = Field(default=None, max_length=200, description="e.g. the minutes' or the "
                                        "RPJMDes document's number")


class MilestoneState(BaseModel):
    milestone: Milestone
    reached_on: date | None
    recorded: bool = Field(description="recorded by the district (true) or proved by the registry's records")
    reference: str | None = None
    detail: str | None = None


class Roadmap(BaseModel):
    village_code: str
    status: str = Field(description="not_started, in_progress or child_labour_free")
    milestones: list[MilestoneState]


_RECORDED = text("SELECT milestone, reached_on, reference FROM village_milestones WHERE village_code = :village")
_SET = text("""
INSERT INTO village_milestones (village_code, milestone, reached_on, reference, recorded_at, recorded_by)
VALUES (:village, :milestone, :reached_on, :reference, :at, :by)
ON CONFLICT (village_code, milestone) DO UPDATE SET reached_on = EXCLUDED.reached_on,
    reference = EXCLUDED.reference, recorded_at = EXCLUDED.recorded_at, recorded_by = EXCLUDED.recorded_by
""")
_DECREED = text("SELECT type, min(decreed_on) AS decreed_on FROM institutions WHERE village_code = :village "
                "AND decreed_on IS NOT NULL AND type = ANY(:types) GROUP BY type")
_UNREMEDIATED_NOW = text("""
SELECT count(*) FROM children WHERE village_code = :village AND merged_into IS NULL AND erased_at IS NULL
  AND classification->>'result' = ANY(:labour) AND status = ANY(:unremediated)
""")
# The last time a child labourer of the desa stopped waiting for remediation (a service began, or the
# case closed), or was found: from then on, none was left without remediation.
_LAST_WAITING = text("""
SELECT max(h.at) FROM case_history h JOIN children c ON c.id = h.child_id
WHERE c.village_code = :village AND c.merged_into IS NULL
  AND (c.classification->>'result' = ANY(:labour) OR c.flagged_as = ANY(:labour))
  AND (h.from_status = ANY(:unremediated) OR h.from_status IS NULL)
""")


async def record(session: AsyncSession, village_code: str, milestone: Milestone, data: MilestoneIn, *,
                 principal: Principal, now: datetime) -> None:
    access.require_district_writer_of(principal, village_code)
    if milestone not in RECORDED:
        raise ValidationFailed(f"{milestone.value} follows from the registry's records and cannot be recorded",
                               field="milestone")
    if data.reached_on is not None and data.reached_on > now.date():
        raise ValidationFailed("the milestone cannot be reached in the future", field="reached_on")
    connection = await session.connection()
    if data.reached_on is None:
        await connection.execute(text("DELETE FROM village_milestones WHERE village_code = :village AND "
                                      "milestone = :milestone"), {"village": village_code, "milestone": milestone})
    else:
        await connection.execute(_SET, {"village": village_code, "milestone": milestone,
                                        "reached_on": data.reached_on, "reference": data.reference, "at": now,
                                        "by": principal.subject})
    await emit(session, MilestoneReached(village_code=village_code, milestone=milestone,
                                         reached_on=data.reached_on), at=now)


async def roadmap(session: AsyncSession, village_code: str, principal: Principal, *, today: date,
                  free_months: int) -> Roadmap:
    if not access.can_read_place(principal, village_code):
        raise NotFound("no such desa in your area")
    connection = await session.connection()
    recorded = {r.milestone: r for r in (await connection.execute(_RECORDED, {"village": village_code})).all()}
    states = [MilestoneState(milestone=m, reached_on=recorded[m].reached_on if m in recorded else None,
                             recorded=True, reference=recorded[m].reference if m in recorded else None)
              for m in RECORDED]
    decreed = {r.type: r.decreed_on for r in (await connection.execute(
        _DECREED, {"village": village_code, "types": [t.value for t in CORE_INSTITUTIONS]})).all()}
    missing = [t.value for t in CORE_INSTITUTIONS if t.value not in decreed]
    states.append(MilestoneState(
        milestone=Milestone.INSTITUTIONS_DECREED, recorded=False,
        reached_on=max(decreed.values()) if not missing else None,
        detail=f"not yet decreed: {', '.join(missing)}" if missing else "GTDLA, PATBM and Forum Anak Desa decreed"))
    params = {"village": village_code, "labour": list(_LABOUR), "unremediated": list(UNREMEDIATED)}
    waiting = (await connection.execute(_UNREMEDIATED_NOW, params)).scalar_one()
    free_since = None
    if not waiting:
        last = (await connection.execute(_LAST_WAITING, params)).scalar_one()
        workshop = states[0].reached_on
        free_since = last.date() if last else workshop
    reached = add_months(free_since, free_months) if free_since else None
    states.append(MilestoneState(
        milestone=Milestone.NO_UNREMEDIATED_CHILD_LABOUR, recorded=False,
        reached_on=reached if reached and reached <= today else None,
        detail=(f"{waiting} child labourers not yet in remediation" if waiting else
                f"none left without remediation since {free_since} ({free_months} months needed)" if free_since
                else "counted from the roadmap workshop")))
    done = [s for s in states if s.reached_on]
    status = ("child_labour_free" if len(done) == len(states) else "in_progress" if done else "not_started")
    return Roadmap(village_code=village_code, status=status, milestones=states)


_VILLAGES = text("""
SELECT village_code FROM village_milestones WHERE substr(village_code, 1, 5) = :regency
UNION SELECT village_code FROM institutions WHERE regency_code = :regency
UNION SELECT village_code FROM activities WHERE regency_code = :regency
ORDER BY 1
""")


async def villages_of(session: AsyncSession, regency_code: str) -> list[str]:
    """The desa of the kabupaten where the programme works (a milestone, an institution or an activity)."""
    return list((await (await session.connection()).execute(_VILLAGES, {"regency": regency_code})).scalars())
