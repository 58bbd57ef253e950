"""`/api/v1/reports/...`: each report for a place and a period, as JSON, CSV or XLSX.

Analysts (and anyone asking for `public=true`) get small cells suppressed. Every report read
and every export is written to the audit log (who, what, which place; no child is named).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from reports import builders
from reports.kla import FROM_DATA as KLA_FROM_DATA
from reports.place import Period, Place, authorise, parse
from reports.tables import Table, place_codes, readable, suppress, suppress_headline, to_csv, to_xlsx
from sprpa_shared import audit, concurrency, days
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.concurrency import IfMatch
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import Conflict, Forbidden, ValidationFailed

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

PlaceQuery = Annotated[str | None, Query(description="official code: 35, 35.09, 35.09.11 or 35.09.11.2007; "
                                                     "none: national (national admins)")]
FromQuery = Annotated[date | None, Query(alias="from", description="first day (default: everything)", **days.BOUNDS)]
ToQuery = Annotated[date | None, Query(alias="to", description="last day (default: today)", **days.BOUNDS)]
Format = Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a download")]
Lang = Annotated[Literal["id", "en"], Query(description="header language of downloads")]
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# A report answers in the form asked for (`format`): JSON, CSV or XLSX.
REPORT_RESPONSES = {200: {"description": "the report as JSON, or a CSV or XLSX download", "content": {
    "application/json": {"schema": {"type": "object"}},
    "text/csv": {"schema": {"type": "string"}},
    MEDIA["xlsx"]: {"schema": {"type": "string", "format": "binary"}}}}}


@dataclass(frozen=True)
class Asked:
    """What a report request asks for: where, when, in which form."""

    place: Place
    period: Period
    fmt: str
    lang: str
    public: bool


async def _asked(principal: PrincipalDep, clock: ClockDep, place: PlaceQuery = None, start: FromQuery = None,
                 end: ToQuery = None, format: Format = "json", lang: Lang = "id", public: bool = False) -> Asked:
    where, period = _scope(principal, place, start, end, clock.now().date())
    return Asked(where, period, format, lang, public)


AskedDep = Annotated[Asked, Depends(_asked)]


async def _render(request: Request, session, principal: Principal, clock, report: str, asked: Asked,
                  built: tuple[dict, list[Table]]) -> Response:
    place, period, fmt, lang, public = asked.place, asked.period, asked.fmt, asked.lang, asked.public
    headline, tables = built
    settings = request.app.state.settings
    suppressed = public or principal.role is Role.ANALYST
    if suppressed:
        hidden = [suppress(table, settings.small_cell_threshold) for table in tables]
        headline = suppress_headline(headline, tables, hidden, settings.small_cell_threshold)
        tables = hidden
    await audit.record_event(session, actor=principal.subject, role=principal.role.value, request=request,
                             at=clock.now(),
                             action=f"report {report} {place.code or 'national'} {period.start}..{period.end} {fmt}")
    if fmt == "json":
        body = {"report": report, "place": place.to_json(), "period": period.to_json(), "suppressed": suppressed,
                **headline, "tables": {table.name: table.to_json() for table in tables}}
        return Response(content=_json(body), media_type="application/json")
    name = f"sprpa-{report}-{place.code or 'nasional'}-{period.end.isoformat()}.{fmt}"
    names = await _region_names(session, place_codes(tables))
    tables = [readable(table, lang, names) for table in tables]
    content = to_csv(tables, lang) if fmt == "csv" else to_xlsx(tables, lang, title=name)
    return Response(content=content, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


_NAMES = text("SELECT code, name FROM regions WHERE code = ANY(:codes)")


async def _region_names(session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = (await (await session.connection()).execute(_NAMES, {"codes": sorted(codes)})).all()
    return {row.code: row.name for row in rows}


def _json(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=False, separators=(",", ":")).encode()


def _scope(principal: Principal, place_code: str | None, start: date | None, end: date | None,
           today: date) -> tuple[Place, Period]:
    place = parse(place_code)
    authorise(principal, place)
    period = Period(start or date(2000, 1, 1), end or today)
    if period.start > period.end:
        raise ValidationFailed("`from` is after `to`", field="from")
    return place, period


@router.get("/summary", dependencies=[needs("reports:read")], responses=REPORT_RESPONSES,
            summary="Children mapped by category, classification, sex, age band and place; "
                    "case progress in the period")
async def summary(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                  asked: AskedDep) -> Response:
    built = await builders.summary(session, asked.place, asked.period)
    return await _render(request, session, principal, clock, "summary", asked, built)


@router.get("/pilot", dependencies=[needs("reports:read")], responses=REPORT_RESPONSES,
            summary="Withdrawn and prevented children per desa against the pilot targets")
async def pilot(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                asked: AskedDep) -> Response:
    settings = request.app.state.settings
    built = await builders.pilot(session, asked.place, asked.period, mou_target=settings.pilot_mou_target)
    return await _render(request, session, principal, clock, "pilot", asked, built)


@router.get("/referrals", dependencies=[needs("reports:read")], responses=REPORT_RESPONSES,
            summary="Referral performance by service category and by provider")
async def referrals(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                    asked: AskedDep) -> Response:
    built = await builders.referral_performance(session, asked.place, asked.period)
    return await _render(request, session, principal, clock, "referrals", asked, built)


@router.get("/gaps", dependencies=[needs("reports:read")], responses=REPORT_RESPONSES,
            summary="Needs no MOU provider took, by category, reason and place")
async def gaps(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
               asked: AskedDep) -> Response:
    built = await builders.gaps(session, asked.place, asked.period)
    return await _render(request, session, principal, clock, "gaps", asked, built)


@router.get("/programme", dependencies=[needs("reports:read")], responses=REPORT_RESPONSES,
            summary="Children served (a service delivered): by sex, age, school status, service, provider, "
                    "sessions, course, apprenticeship, living arrangement, identification, exploitation type")
async def programme(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                    asked: AskedDep,
                    organization_id: Annotated[list[uuid.UUID], Query(
                        max_length=50, description="only the services these organisations delivered (a partner's "
                                                   "own programme)")] = ()) -> Response:
    built = await builders.programme(session, asked.place, asked.period, list(organization_id))
    return await _render(request, session, principal, clock, "programme", asked, built)


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


_PROGRESS = text("SELECT consumer, last_event_at, applied_at, events FROM rm_progress ORDER BY consumer")


@router.get("/freshness", dependencies=[needs("reports:read")],
            summary="How far behind the events the reports are, per stream")
async def freshness(request: Request, session: SessionDep, principal: PrincipalDep) -> dict:
    if principal.role not in (Role.NATIONAL_ADMIN, Role.DISTRICT_OPERATOR, Role.ANALYST, Role.INTEGRATION):
        raise Forbidden(f"the {principal.role.value} role may not read reports")
    rows = (await (await session.connection()).execute(_PROGRESS)).all()
    pending = await _pending(request)
    return {"consumers": [
        {"consumer": row.consumer, "events_applied": row.events, "last_event_at": row.last_event_at.isoformat(),
         "lag_seconds": round((row.applied_at - row.last_event_at).total_seconds(), 3),
         "pending": pending.get(row.consumer)} for row in rows]}


async def _pending(request: Request) -> dict[str, int]:
    """Messages each consumer has not taken yet (JetStream's count), when NATS answers."""
    bus = request.app.state.bus
    out: dict[str, int] = {}
    for consumer in bus.consumers:
        try:
            info = await bus.js.consumer_info(consumer.spec.stream, consumer.spec.durable, timeout=1)
            out[consumer.spec.durable] = info.num_pending
        except Exception:  # noqa: BLE001 - freshness still answers from the database
            continue
    return out


@router.get("/kla", dependencies=[needs("reports:read")], responses=REPORT_RESPONSES,
            summary="KLA indicators 5, 28 and 31 from the data, and the 1,000-point scorecard of a "
                    "kabupaten for a year")
async def kla(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
              place: Annotated[str, Query(pattern=r"^\d{2}\.\d{2}$", description="kabupaten/kota code")],
              year: Annotated[int | None, Query(ge=2000, le=2100)] = None, format: Format = "json",
              lang: Lang = "id", public: bool = False) -> Response:
    today = clock.now().date()
    year = year or today.year
    where, period = _scope(principal, place, date(year, 1, 1), min(date(year, 12, 31), today), today)
    asked = Asked(where, period, format, lang, public)
    return await _render(request, session, principal, clock, "kla", asked, await builders.kla(session, where, period))


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
