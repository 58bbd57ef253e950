"""The dashboard (charts drawn as plain HTML bars, no script), report downloads and the KLA scorecard.

Numbers come from the reports service as it sends them; for analysts and public exports it has
already hidden small cells (`<5`), and the charts show those as hidden, never as a number.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sprpa_contracts.reports import NAMES as report_names
from sprpa_shared.auth.principal import Role
from web.ui import forms, names
from web.ui.backends import ApiError
from web.ui.render import ViewerDep, backends, form_of, language, page, problem_context, redirect, require
from web.ui.sessions import Viewer

router = APIRouter(include_in_schema=False)
READERS = (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN, Role.ANALYST, Role.INTEGRATION)
REPORTS = report_names  # the reports service's list, in the order people see them


def _default_place(viewer: Viewer, place: str | None) -> str | None:
    if place:
        return place
    if viewer.role is Role.VILLAGE_CADRE:
        return viewer.principal.village_code  # a cadre's dashboard is her desa's
    return viewer.principal.regency_codes[0] if viewer.principal.regency_codes else None


def bars(table: dict | None, key: str, value: str = "count") -> list[dict]:
    """A table's rows as bars: label, the value as shown, and the width (share of the largest)."""
    rows = (table or {}).get("rows", [])
    numbers = [row.get(value) for row in rows if isinstance(row.get(value), int | float)]
    top = max(numbers, default=0) or 1
    return [{"label": row.get(key), "shown": row.get(value),
             "width": round(100 * row[value] / top, 1) if isinstance(row.get(value), int | float) else None}
            for row in rows]


@router.get("/dashboard")
async def dashboard(request: Request, viewer: ViewerDep, place: str | None = None, start: str | None = None,
                    end: str | None = None) -> Response:
    require(viewer, *READERS, Role.VILLAGE_CADRE)
    api, token = backends(request), viewer.access_token
    where = _default_place(viewer, place)
    params = {"place": where, "from": start, "to": end}
    try:
        summary, pilot, referrals, gaps = await asyncio.gather(*(
            api.get("reports", f"/api/v1/reports/{name}", token=token, params=params)
            for name in ("summary", "pilot", "referrals", "gaps")))
    except ApiError as error:
        if error.status >= 500:
            raise
        return page(request, "dashboard.html", status_code=error.status, query=params, charts=None,
                    **problem_context(error, language(request)))
    pilot_rows = pilot["tables"]["pilot_progress"]["rows"]
    roadmaps = await _roadmaps(request, viewer, where)
    village_names = await names.places(api, token, {row["desa"] for row in pilot_rows} | {where} |
                                       {r["village_code"] for r in roadmaps})
    charts = {
        "status": bars(summary["tables"].get("case_progress"), "status"),
        "classification": bars(summary["tables"].get("by_classification"), "classification"),
        "funnel": bars({"rows": [{"stage": key, "count": referrals.get(key)} for key in
                                 ("offered", "accepted", "completed", "needs", "needs_served")]}, "stage"),
        "gaps": bars(gaps["tables"].get("by_category"), "category"),
    }
    categories = dict(await names.categories(api, token, language(request)))
    return page(request, "dashboard.html", query=params, place_name=village_names.get(where), summary=summary,
                pilot=pilot, pilot_rows=pilot_rows,
                referrals=referrals, gaps=gaps, charts=charts, village_names=village_names, categories=categories,
                roadmaps=roadmaps,
                suppressed=summary.get("suppressed"))


async def _roadmaps(request: Request, viewer: Viewer, where: str | None) -> list[dict]:
    """The desa's roadmaps to a child-labour-free village, for the kabupaten's people (the registry's)."""
    api, token = backends(request), viewer.access_token
    if viewer.role is Role.VILLAGE_CADRE and where:
        return [await api.get("registry", f"/api/v1/villages/{where}/roadmap", token=token)]
    if viewer.role in (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN) and where and len(where) == 5:
        return (await api.get("registry", "/api/v1/roadmaps", token=token, params={"regency_code": where}))["items"]
    return []


@router.get("/reports")
async def reports(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *READERS)
    return page(request, "reports.html", reports=REPORTS, default_place=_default_place(viewer, None) or "")


@router.get("/reports/{report}.{fmt}")
async def download(request: Request, viewer: ViewerDep, report: Literal[REPORTS],
                   fmt: Literal["csv", "xlsx", "pdf"], place: str | None = None, start: str | None = None,
                   end: str | None = None, period: str | None = None, lang: Literal["id", "en"] = "id",
                   public: bool = False) -> Response:
    """A report as a file; the periodic report by its month or quarter (`period`), also as PDF."""
    require(viewer, *READERS)
    when = {"period": period} if report == "periodic" else {"from": start, "to": end}
    file = await backends(request).download("reports", f"/api/v1/reports/{report}", token=viewer.access_token,
                                            params={"place": _default_place(viewer, place), **when,
                                                    "format": fmt, "lang": lang, "public": str(public).lower()})
    return Response(file.content, media_type=file.media_type, headers={"Content-Disposition": file.disposition})


async def _kla_page(request: Request, viewer: Viewer, place: str | None, year: int | None, *, status_code: int = 200,
                    **context) -> Response:
    where = _default_place(viewer, place)
    params = {"place": where, "year": year}
    card = await backends(request).get("reports", "/api/v1/reports/kla", token=viewer.access_token, params=params)
    return page(request, "kla.html", status_code=status_code, card=card, rows=card["tables"]["scorecard"]["rows"],
                place=where, year=card["year"], can_enter=viewer.role in (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
                and where is not None and len(where.split(".")) == 2, **{"values": {}, **context})


@router.get("/kla")
async def kla(request: Request, viewer: ViewerDep, place: str | None = None, year: int | None = None) -> Response:
    require(viewer, *READERS)
    return await _kla_page(request, viewer, place, year)


@router.post("/kla/{regency_code}/{year}/{indicator}")
async def enter_indicator(request: Request, viewer: ViewerDep, regency_code: str, year: int,
                          indicator: int) -> Response:
    require(viewer, Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
    form = await form_of(request, viewer)
    try:
        await backends(request).call(
            "reports", "PUT", f"/api/v1/reports/kla/{regency_code}/{year}/{indicator}", token=viewer.access_token,
            json={"achievement_percent": str(form.get("achievement_percent") or "").strip() or None,
                  "evidence": str(form.get("evidence") or "").strip()},
            headers={"If-Match": f'"{form.get("version") or 0}"'})
    except ApiError as error:
        return await _kla_page(request, viewer, regency_code, year, status_code=error.status,
                               values={"indicator": indicator, **{k: form.get(k) for k in ("achievement_percent",
                                                                                          "evidence")}},
                               **problem_context(error, language(request)))
    return redirect(f"/kla?place={regency_code}&year={year}#indicator-{indicator}")


async def _pilot_page(request: Request, viewer: Viewer, place: str | None, *, status_code: int = 200,
                      **context) -> Response:
    api, token = backends(request), viewer.access_token
    where = _default_place(viewer, place)
    pilot = await api.get("reports", "/api/v1/reports/pilot", token=token, params={"place": where})
    rows = pilot["tables"]["pilot_progress"]["rows"]
    village_names = await names.places(api, token, {row["desa"] for row in rows} | {where})
    return page(request, "pilot.html", status_code=status_code, place=where, place_name=village_names.get(where),
                rows=rows, village_names=village_names, **{"values": {}, **context})


@router.get("/pilot")
async def pilot(request: Request, viewer: ViewerDep, place: str | None = None, saved: bool = False) -> Response:
    """The kabupaten's pilot villages with their targets; the district makes a desa one, or changes them."""
    require(viewer, Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
    return await _pilot_page(request, viewer, place, saved=saved)


@router.post("/pilot")
async def set_pilot_targets(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
    form = await form_of(request, viewer)
    village = str(form.get("village_code") or "").strip()
    targets = {name: int(value) for name in ("withdrawn_target", "prevented_target", "mapping_target")
               if (value := str(form.get(name) or "").strip()).isdigit()}
    try:
        await backends(request).call("reports", "PUT", f"/api/v1/reports/pilot/targets/{village}",
                                     token=viewer.access_token, json=targets)
    except ApiError as error:
        if error.status >= 500:
            raise
        return await _pilot_page(request, viewer, village[:5] or None, status_code=error.status,
                                 values={"village_code": village, **targets},
                                 **problem_context(error, language(request)))
    return redirect(f"/pilot?place={village[:5]}&saved=true#village-{village}")


async def _rules_page(request: Request, viewer: Viewer, place: str | None, *, status_code: int = 200,
                      **context) -> Response:
    api, token = backends(request), viewer.access_token
    regency = _default_place(viewer, place)
    rules, backbone, organisations, regency_names = await asyncio.gather(
        api.get("referral", f"/api/v1/settings/{regency}", token=token),
        api.get("providers", f"/api/v1/backbones/{regency}", token=token),
        api.get("providers", "/api/v1/organizations", token=token, params={"regency_code": regency, "limit": 100}),
        names.places(api, token, {regency}))
    return page(request, "rules.html", status_code=status_code, rules=rules, place=regency,
                place_name=regency_names.get(regency), backbone=backbone,
                organisations=[(o["id"], o["name"]) for o in organisations["items"]],
                **{"values": rules, **context})


@router.get("/rules")
async def referral_rules(request: Request, viewer: ViewerDep, place: str | None = None,
                         saved: bool = False) -> Response:
    """The kabupaten's referral rules: how many providers are offered a need at once, how long each
    has to answer, and whether weekends count; the district changes them here."""
    require(viewer, Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
    return await _rules_page(request, viewer, place, saved=saved)


@router.post("/rules/backbone")
async def name_backbone(request: Request, viewer: ViewerDep) -> Response:
    """The organisation a need goes to when no MOU provider takes it (or none)."""
    require(viewer, Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
    form = await form_of(request, viewer)
    regency = str(form.get("regency_code") or "").strip()
    await backends(request).call("providers", "PUT", f"/api/v1/backbones/{regency}", token=viewer.access_token,
                                 json={"organization_id": forms.text(form, "organization_id")})
    return redirect(f"/rules?place={regency}&saved=true")


@router.post("/rules")
async def change_referral_rules(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
    form = await form_of(request, viewer)
    regency = str(form.get("regency_code") or "").strip()
    body = {"parallel_offers": _number(form.get("parallel_offers")), "sla_hours": _number(form.get("sla_hours")),
            "weekends_count": form.get("weekends_count") == "true"}
    try:
        await backends(request).call("referral", "PUT", f"/api/v1/settings/{regency}", token=viewer.access_token,
                                     json=body, headers=forms.if_match(form))
    except ApiError as error:
        if error.status >= 500:
            raise
        # A 412 (someone changed the rules meanwhile) shows the rules as they are now, with this change.
        return await _rules_page(request, viewer, regency or None, status_code=error.status,
                                 values={**body, "regency_code": regency},
                                 **problem_context(error, language(request)))
    return redirect(f"/rules?place={regency}&saved=true")


def _number(value) -> int | str | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else (text or None)
