"""`/api/v1/reports/...`: each report for a place and a period, as JSON, CSV or XLSX (the list of
reports is `sprpa_contracts.reports`; the district's own entries are `reports.inputs`).

Analysts (and anyone asking for `public=true`) get small cells suppressed. Every report read
and every export is written to the audit log (who, what, which place; no child is named).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from reports import builders, pdf
from reports.builders.periodic import parse_period
from reports.place import Period, Place, authorise, parse
from reports.settings import ReportsSettings
from reports.tables import Table, place_codes, readable, suppress, suppress_headline, to_csv, to_xlsx
from sprpa_contracts import reports as contract
from sprpa_contracts.reports import ReportKind
from sprpa_shared import audit, days
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import Forbidden, ValidationFailed

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

PlaceQuery = Annotated[str | None, Query(description="official code: 35, 35.09, 35.09.11 or 35.09.11.2007; "
                                                     "none: national (national admins)")]
FromQuery = Annotated[date | None, Query(alias="from", description="first day (default: everything)", **days.BOUNDS)]
ToQuery = Annotated[date | None, Query(alias="to", description="last day (default: today)", **days.BOUNDS)]
Format = Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a download")]
Lang = Annotated[Literal["id", "en"], Query(description="header language of downloads")]
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}
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


Built = tuple[dict, list[Table]]  # a report's headline figures and its tables


async def _render(request: Request, session, principal: Principal, clock, report: str, asked: Asked,
                  built: Built, *, kind: str | None = None) -> Response:
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
    if fmt == "pdf":
        place_names = await _region_names(session, {place.code} if place.code else set())
        content = pdf.render(tables=tables, headline=headline, lang=lang, kind=kind or "monthly",
                             place_name=place_names.get(place.code or "", place.code or pdf.text("place_national",
                                                                                                  lang)),
                             start=period.start, end=period.end, made=clock.now().date(),
                             suppressed_below=settings.small_cell_threshold if suppressed else None)
    else:
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


def _place_report(kind: ReportKind, build: Callable[[AsyncSession, Asked, ReportsSettings], Awaitable[Built]]):
    """One route per report over a place and a period: asked, built, rendered in the form asked for."""

    async def answer(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                     asked: AskedDep) -> Response:
        built = await build(session, asked, request.app.state.settings)
        return await _render(request, session, principal, clock, kind.name, asked, built)

    router.add_api_route(f"/{kind.name}", answer, methods=["GET"], dependencies=[needs("reports:read")],
                         responses=REPORT_RESPONSES, summary=kind.summary, name=kind.name)


_place_report(contract.SUMMARY, lambda session, asked, _: builders.summary(session, asked.place, asked.period))
_place_report(contract.PILOT, lambda session, asked, settings: builders.pilot(
    session, asked.place, asked.period, mou_target=settings.pilot_mou_target))
_place_report(contract.REFERRALS, lambda session, asked, _: builders.referral_performance(
    session, asked.place, asked.period))
_place_report(contract.GAPS, lambda session, asked, _: builders.gaps(session, asked.place, asked.period))


@router.get("/programme", dependencies=[needs("reports:read")], responses=REPORT_RESPONSES,
            summary=contract.PROGRAMME.summary)
async def programme(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                    asked: AskedDep,
                    organization_id: Annotated[list[uuid.UUID], Query(
                        max_length=50, description="only the services these organisations delivered (a partner's "
                                                   "own programme)")] = ()) -> Response:
    built = await builders.programme(session, asked.place, asked.period, list(organization_id))
    return await _render(request, session, principal, clock, "programme", asked, built)


PERIODIC_RESPONSES = {200: {"description": "the report as JSON, or a CSV, XLSX or PDF download", "content": {
    **REPORT_RESPONSES[200]["content"], "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/periodic", dependencies=[needs("reports:read")], responses=PERIODIC_RESPONSES,
            summary=contract.PERIODIC.summary)
async def periodic(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                   period: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$",
                                                description="a month (2026-11) or a quarter (2026-Q4)")],
                   place: PlaceQuery = None,
                   format: Annotated[Literal["json", "csv", "xlsx", "pdf"], Query(
                       description="json, or a download (pdf: to send on and print)")] = "json",
                   lang: Lang = "id", public: bool = False) -> Response:
    today = clock.now().date()
    kind, span = parse_period(period, today)
    where, span = _scope(principal, place, span.start, span.end, today)
    settings = request.app.state.settings
    mou_target = settings.pilot_mou_target if where.level in ("kabupaten", "kecamatan", "desa") \
        else settings.programme_mou_target
    detailed = not public and principal.role is not Role.ANALYST
    built = await builders.periodic(session, where, span, mou_target=mou_target, kind=kind, detailed=detailed)
    return await _render(request, session, principal, clock, "periodic", Asked(where, span, format, lang, public),
                         built, kind=kind)


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
            summary=contract.KLA.summary)
async def kla(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
              place: Annotated[str, Query(pattern=r"^\d{2}\.\d{2}$", description="kabupaten/kota code")],
              year: Annotated[int | None, Query(ge=2000, le=2100)] = None, format: Format = "json",
              lang: Lang = "id", public: bool = False) -> Response:
    today = clock.now().date()
    year = year or today.year
    where, period = _scope(principal, place, date(year, 1, 1), min(date(year, 12, 31), today), today)
    asked = Asked(where, period, format, lang, public)
    return await _render(request, session, principal, clock, "kla", asked, await builders.kla(session, where, period))


