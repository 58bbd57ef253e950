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


# Each for many desa at once: a kabupaten's dashboard reads all its desa's roadmaps in four statements.
_RECORDED = text("SELECT village_code, milestone, reached_on, reference FROM village_milestones "
                 "WHERE village_code = ANY(:villages)")
_SET = text("""
INSERT INTO village_milestones (village_code, milestone, reached_on, reference, recorded_at, recorded_by)
VALUES (:village, :milestone, :reached_on, :reference, :at, :by)
ON CONFLICT (village_code, milestone) DO UPDATE SET reached_on = EXCLUDED.reached_on,
    reference = EXCLUDED.reference, recorded_at = EXCLUDED.recorded_at, recorded_by = EXCLUDED.recorded_by
""")
_DECREED = text("SELECT village_code, type, min(decreed_on) AS decreed_on FROM institutions "
                "WHERE village_code = ANY(:villages) AND decreed_on IS NOT NULL AND type = ANY(:types) "
                "GROUP BY village_code, type")
_UNREMEDIATED_NOW = text("""
SELECT village_code, count(*) AS waiting FROM children
WHERE village_code = ANY(:villages) AND merged_into IS NULL AND erased_at IS NULL
  AND classification->>'result' = ANY(:labour) AND status = ANY(:unremediated)
GROUP BY village_code
""")
# The last time a child labourer of the desa stopped waiting for remediation (a service began, or the
# case closed), or was found: from then on, none was left without remediation.
_LAST_WAITING = text("""
SELECT c.village_code, max(h.at) AS last FROM case_history h JOIN children c ON c.id = h.child_id
WHERE c.village_code = ANY(:villages) AND c.merged_into IS NULL
  AND (c.classification->>'result' = ANY(:labour) OR c.flagged_as = ANY(:labour))
  AND (h.from_status = ANY(:unremediated) OR h.from_status IS NULL)
GROUP BY c.village_code
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
    return (await roadmaps(session, [village_code], today=today, free_months=free_months))[0]


async def roadmaps(session: AsyncSession, village_codes: list[str], *, today: date, free_months: int) -> list[Roadmap]:
    """The roadmaps of `village_codes` (already authorised), in their order."""
    connection = await session.connection()
    params = {"villages": village_codes, "types": [t.value for t in CORE_INSTITUTIONS], "labour": list(_LABOUR),
              "unremediated": list(UNREMEDIATED)}

    async def rows(statement) -> list:
        return list((await connection.execute(statement, params)).all())

    recorded = {(r.village_code, r.milestone): r for r in await rows(_RECORDED)}
    decreed: dict[str, dict[str, date]] = {}
    for r in await rows(_DECREED):
        decreed.setdefault(r.village_code, {})[r.type] = r.decreed_on
    waiting = {r.village_code: r.waiting for r in await rows(_UNREMEDIATED_NOW)}
    last_waiting = {r.village_code: r.last for r in await rows(_LAST_WAITING)}
    return [_roadmap(village, recorded, decreed.get(village, {}), waiting.get(village, 0),
                     last_waiting.get(village), today=today, free_months=free_months) for village in village_codes]


def _roadmap(village_code: str, recorded: dict, decreed: dict[str, date], waiting: int, last_waiting,
             *, today: date, free_months: int) -> Roadmap:
    states = [MilestoneState(milestone=m, recorded=True,
                             reached_on=recorded[(village_code, m)].reached_on if (village_code, m) in recorded
                             else None,
                             reference=recorded[(village_code, m)].reference if (village_code, m) in recorded
                             else None)
              for m in RECORDED]
    missing = [t.value for t in CORE_INSTITUTIONS if t.value not in decreed]
    states.append(MilestoneState(
        milestone=Milestone.INSTITUTIONS_DECREED, recorded=False,
        reached_on=max(decreed.values()) if not missing else None,
        detail=f"not yet decreed: {', '.join(missing)}" if missing else "GTDLA, PATBM and Forum Anak Desa decreed"))
    free_since = None
    if not waiting:
        workshop = states[0].reached_on
        free_since = last_waiting.date() if last_waiting else workshop
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
