"""The district's entries for the KLA indicators the data cannot answer, versioned with their history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from reports.kla import FROM_DATA as KLA_FROM_DATA
from sprpa_shared import concurrency
from sprpa_shared.auth.principal import Role
from sprpa_shared.concurrency import IfMatch
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import Conflict, Forbidden

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


class KlaInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    achievement_percent: float = Field(ge=0, le=100, description="how far the indicator is met, 0-100")
    evidence: str = Field(min_length=10, max_length=2000, description="what proves it (document, decree, survey)")


_KLA_CURRENT = text("""
SELECT version FROM kla_inputs WHERE regency_code = :regency AND year = :year AND indicator = :indicator FOR UPDATE
""")
_KLA_SET = text("""
INSERT INTO kla_inputs (regency_code, year, indicator, achievement_percent, evidence, version, updated_at, updated_by)
VALUES (:regency, :year, :indicator, :achievement, :evidence, :version, :at, :by)
ON CONFLICT (regency_code, year, indicator) DO UPDATE SET achievement_percent = EXCLUDED.achievement_percent,
    evidence = EXCLUDED.evidence, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at,
    updated_by = EXCLUDED.updated_by
""")
_KLA_HISTORY = text("""
INSERT INTO kla_input_history (regency_code, year, indicator, achievement_percent, evidence, version, at, actor)
VALUES (:regency, :year, :indicator, :achievement, :evidence, :version, :at, :by)
""")


@router.put("/kla/{regency_code}/{year}/{indicator}", dependencies=[needs("reports:write")], response_model=KlaInput,
            summary="The district's entry for an indicator the data cannot answer; If-Match (\"0\" for the first)")
async def enter_kla(regency_code: Annotated[str, Path(pattern=r"^\d{2}\.\d{2}$")],
                    year: Annotated[int, Path(ge=2000, le=2100)], indicator: Annotated[int, Path(ge=1, le=31)],
                    data: KlaInput, response: Response, session: SessionDep, principal: PrincipalDep,
                    clock: ClockDep, if_match: IfMatch = None) -> KlaInput:
    if principal.role not in (Role.NATIONAL_ADMIN, Role.DISTRICT_OPERATOR) or not principal.covers_place(
            regency_code):
        raise Forbidden("only the kabupaten's operators enter its KLA scorecard")
    if indicator in KLA_FROM_DATA:
        raise Conflict(f"indicator {indicator} is computed from the case data and cannot be entered")
    connection = await session.connection()
    key = {"regency": regency_code, "year": year, "indicator": indicator}
    current = (await connection.execute(_KLA_CURRENT, key)).scalar() or 0
    concurrency.require_match(if_match, current, what="scorecard entry")
    values = {**key, "achievement": data.achievement_percent, "evidence": data.evidence, "version": current + 1,
              "at": clock.now(), "by": principal.subject}
    await connection.execute(_KLA_SET, values)
    await connection.execute(_KLA_HISTORY, values)
    response.headers["ETag"] = concurrency.etag(current + 1)
    return data
