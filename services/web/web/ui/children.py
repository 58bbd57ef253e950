"""Children and cases: the lists (a cadre's desa, an operator's case list), registration, the child's
page with its classification, visits, history and referrals, and the forms that change a case."""

from __future__ import annotations

import asyncio
import json
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sprpa_shared.auth.principal import Role
from web.ui import forms, names, programme
from web.ui import history as history_words
from web.ui.backends import ApiError
from web.ui.render import (
    NotAllowed,
    ViewerDep,
    backends,
    form_of,
    language,
    page,
    problem_context,
    redirect,
    require,
)
from web.ui.sessions import Viewer

router = APIRouter(include_in_schema=False)
RECORDERS = (Role.VILLAGE_CADRE, Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
DISTRICT = (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)
LIST_FILTERS = ("status", "classification", "district_code", "village_code")


@router.get("/children")
async def children(request: Request, viewer: ViewerDep, cursor: str | None = None, overdue: bool = False,
                   status: str | None = None, classification: str | None = None, district_code: str | None = None,
                   village_code: str | None = None, saved: str | None = None) -> Response:
    require(viewer, *RECORDERS)
    api = backends(request)
    token = viewer.access_token
    if viewer.role is Role.VILLAGE_CADRE:
        village_code = viewer.principal.village_code
    filters = {"status": status, "classification": classification, "district_code": district_code,
               "village_code": village_code}
    late_call = _items(api.get("registry", "/api/v1/visits/overdue", token=token,
                               params={"village_code": village_code, "limit": 200}))
    if overdue:  # the overdue children of the area, most overdue first (not only those on one page of the list)
        late = await late_call
        rows, next_cursor = [{**row, "id": row["child_id"]} for row in late], None
    else:
        late, listed = await asyncio.gather(late_call, api.get(
            "registry", "/api/v1/children", token=token, params={**filters, "cursor": cursor, "limit": 50}))
        rows, next_cursor = listed["items"], listed.get("next_cursor")
    late_by_child = {row["child_id"]: row for row in late}
    place_names = await names.places(api, token, {row["village_code"] for row in rows} | {village_code})
    return page(request, "children.html", rows=rows, late=late_by_child, late_rows=late, overdue=overdue,
                saved=saved if saved == "erased" else None,
                filters=filters, next_cursor=next_cursor, place_names=place_names,
                cadre_village=viewer.principal.village_code if viewer.role is Role.VILLAGE_CADRE else None)


async def _registration_page(request: Request, viewer: Viewer, *, values: dict | None = None,
                             status_code: int = 200, **context) -> Response:
    village = viewer.principal.village_code
    place_names = await names.places(backends(request), viewer.access_token, {village})
    return page(request, "child_new.html", status_code=status_code, values=values or {}, preset_village=village,
                place_names=place_names, **context)


@router.get("/children/new")
async def registration_form(request: Request, viewer: ViewerDep) -> Response:
    require(viewer, *RECORDERS)
    return await _registration_page(request, viewer)


@router.post("/children/new")
async def register(request: Request, viewer: ViewerDep) -> Response:
    """A household (when its head or address is given) and then the child. A household created before
    the child was refused is kept in the form, so correcting and sending again reuses it."""
    require(viewer, *RECORDERS)
    form = await form_of(request, viewer)
    api, token = backends(request), viewer.access_token
    village = viewer.principal.village_code if viewer.role is Role.VILLAGE_CADRE else forms.text(form, "village_code")
    values = forms.typed(form)
    household_id = forms.text(form, "household_id")
    try:
        household = forms.household(form, village_code=village)
        if household and not household_id:
            key = {"Idempotency-Key": f"{form.get('form_key')}:household"} if form.get("form_key") else None
            household_id = (await api.call("registry", "POST", "/api/v1/households", token=token, json=household,
                                           headers=key))["id"]
            values["household_id"] = household_id
        created = await api.call("registry", "POST", "/api/v1/children", token=token,
                                 json=forms.child(form, village_code=village, household_id=household_id),
                                 headers={"Idempotency-Key": str(form.get("form_key") or uuid.uuid4())})
    except ApiError as error:
        return await _registration_page(request, viewer, values=values, status_code=error.status,
                                        **problem_context(error, language(request)))
    duplicates = "&duplicates=1" if created.get("possible_duplicates") else ""
    return redirect(f"/children/{created['id']}?registered=1{duplicates}")


@router.get("/children/{child_id}")
async def child_page(request: Request, viewer: ViewerDep, child_id: uuid.UUID, registered: bool = False,
                     duplicates: bool = False, saved: str | None = None) -> Response:
    require(viewer, *RECORDERS)
    api, token = backends(request), viewer.access_token
    child = await api.get("registry", f"/api/v1/children/{child_id}", token=token)
    district = viewer.role in DISTRICT
    visits, history, case, possible, flag, facilitator = await asyncio.gather(
        _items(api.get("registry", f"/api/v1/children/{child_id}/visits", token=token)),
        _items(api.get("registry", f"/api/v1/children/{child_id}/history", token=token)),
        _case(request, viewer, child_id),
        _items(api.get("registry", f"/api/v1/children/{child_id}/duplicates", token=token)) if duplicates
        else _nothing(),
        api.get("registry", f"/api/v1/children/{child_id}/flag", token=token) if district else _nothing(),
        programme.facilitator_of(request, viewer, child),
    )
    choices = await _services_for_unmet_needs(request, viewer, child, case) if district else {}
    organisation_ids = {r["organization_id"] for need in (case or {}).get("needs", []) for r in need["referrals"]} | \
        {offering["organization_id"] for offerings in choices.values() for offering in offerings}
    organisation_names, place_names, categories = await asyncio.gather(
        names.organisations(api, token, organisation_ids),
        names.places(api, token, {child["village_code"], child["district_code"], child["regency_code"]}),
        names.categories(api, token, language(request)),
    )
    categories = dict(categories)
    need_names = {need["id"]: categories.get(need["category"], need["category"])
                  for need in (case or {}).get("needs", [])}
    return page(request, "child.html", child=child, visits=visits, history=history, case=case,
                possible=possible or [], organisation_names=organisation_names, place_names=place_names,
                categories=categories, need_names=need_names, registered=registered, saved=saved,
                need_key=uuid.uuid4(),
                choices={need_id: [(o["id"], f'{o["name"]} · {organisation_names.get(o["organization_id"], "")}')
                                   for o in offerings] for need_id, offerings in choices.items()},
                facilitator=facilitator,
                awaiting_approval=bool(flag and flag["approval"] == "pending"), describe=history_words.describe,
                actor=history_words.actor)


async def _services_for_unmet_needs(request: Request, viewer: Viewer, child: dict, case: dict | None
                                    ) -> dict[str, list[dict]]:
    """For each need that waits for the district (unmet), the services that can take it today (an
    active MOU, the child's age, sex and desa, a free place): the district may send it to one."""
    unmet = [need for need in (case or {}).get("needs", []) if need["status"] == "unmet"]
    if not unmet or case.get("status") not in ("open", "settled"):
        return {}
    api = backends(request)
    found = await asyncio.gather(*(api.get("providers", "/api/v1/services", token=viewer.access_token, params={
        "regency_code": child["regency_code"], "category": need["category"], "age": child["age"],
        "sex": child["sex"], "village_code": child["village_code"]}) for need in unmet))
    return {need["id"]: result["items"] for need, result in zip(unmet, found, strict=True)}


async def _nothing() -> None:
    return None


async def _items(call) -> list[dict]:
    """The items of a list the API answers (every list is a page: `items`, `next_cursor`)."""
    return (await call)["items"]


async def _case(request: Request, viewer: Viewer, child_id: uuid.UUID) -> dict | None:
    """The referral engine's view of the child's case; None before the child was ever flagged."""
    try:
        return await backends(request).get("referral", f"/api/v1/cases/{child_id}", token=viewer.access_token)
    except ApiError as error:
        if error.status == 404:
            return None
        raise


async def _child_form(request: Request, viewer: Viewer, child_id: uuid.UUID, template: str, *,
                      values: dict | None = None, status_code: int = 200, **context) -> Response:
    api = backends(request)
    child = await api.get("registry", f"/api/v1/children/{child_id}", token=viewer.access_token)
    categories = await names.categories(api, viewer.access_token, language(request))
    return page(request, template, status_code=status_code, child=child, values=values or {},
                categories=categories, known=forms.from_child(child), **context)


@router.get("/children/queued/visit")
async def queued_visit_form(request: Request, viewer: ViewerDep) -> Response:
    """The visit form for a child registered on this phone and not sent yet: kept by the field app,
    the visit waits in the phone's queue for its child, and goes once the registry gave it an id."""
    require(viewer, Role.VILLAGE_CADRE)
    return page(request, "visit.html", child={"id": "queued", "version": "", "full_name": ""}, values={},
                queued=True)


@router.get("/children/{child_id}/visit")
async def visit_form(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    require(viewer, *RECORDERS)
    return await _child_form(request, viewer, child_id, "visit.html")


async def _submit(request: Request, viewer: Viewer, child_id: uuid.UUID, *, template: str, path: str,
                  body, saved, form=None) -> Response:
    """A child's form posted to the registry: back to the child's page with `saved` (a message key, or
    a function of the registry's answer giving one), or the form again with the problem beside its fields."""
    form = form if form is not None else await form_of(request, viewer)
    # The version of the child the form was filled against: a change made meanwhile is a 412, and the
    # form comes back with the person's values over the child as it is now, to check and send again.
    headers = forms.if_match(form) or {}
    if key := forms.text(form, "form_key"):  # a retried or queued save records once
        headers["Idempotency-Key"] = key
    try:
        answer = await backends(request).call("registry", "POST", f"/api/v1/children/{child_id}/{path}",
                                              token=viewer.access_token, json=body(form), headers=headers)
    except ApiError as error:
        return await _child_form(request, viewer, child_id, template, values=forms.typed(form),
                                 status_code=error.status, **problem_context(error, language(request)))
    return redirect(f"/children/{child_id}?saved={saved(answer) if callable(saved) else saved}")


@router.post("/children/{child_id}/visit")
async def record_visit(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    require(viewer, *RECORDERS)
    return await _submit(request, viewer, child_id, template="visit.html", path="visits", body=forms.visit,
                         saved="visit_saved")


@router.get("/children/{child_id}/assess")
async def assessment_form(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    require(viewer, *RECORDERS)
    return await _child_form(request, viewer, child_id, "assess.html")


@router.post("/children/{child_id}/assess")
async def assess(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    require(viewer, *RECORDERS)
    return await _submit(request, viewer, child_id, template="assess.html", path="assessments",
                         body=forms.assessment, saved="saved")


@router.get("/children/{child_id}/flag")
async def flag_form(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    require(viewer, *DISTRICT)
    return await _child_form(request, viewer, child_id, "flag.html")


def _flag_outcome(flagged: dict) -> str:
    return "flag_done" if flagged.get("approval") in (None, "not_needed", "approved") else "flag_waits"


@router.post("/children/{child_id}/flag")
async def flag(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    """Flag the case; or, with the preview button, show which services the chosen root causes and
    extra needs would request (the registry's own mapping), each of which may be dropped with a reason."""
    require(viewer, *DISTRICT)
    form = await form_of(request, viewer)
    if form.get("preview"):
        chosen = forms.flagging(form)
        preview = await backends(request).get("registry", f"/api/v1/children/{child_id}/flag/preview",
                                              token=viewer.access_token,
                                              params={"root_causes": chosen["root_causes"],
                                                      "extra_needs": chosen["extra_needs"]})
        values = {**forms.typed(form), "root_causes": chosen["root_causes"], "extra_needs": chosen["extra_needs"]}
        return await _child_form(request, viewer, child_id, "flag.html", values=values, preview=preview["needs"])
    return await _submit(request, viewer, child_id, template="flag.html", path="flag", body=forms.flagging,
                         saved=_flag_outcome, form=form)


async def _district_acts(request: Request, viewer: Viewer, child_id: uuid.UUID, *, service: str, path: str,
                         body=None, saved: str, headers=None) -> Response:
    """A district action on the child's case: the form's body (a function of the form) posted to the
    service, then back to the child's page saying what was done. A refusal shows as the error page."""
    require(viewer, *DISTRICT)
    form = await form_of(request, viewer)
    await backends(request).call(service, "POST", path, token=viewer.access_token,
                                 json=body(form) if body else None, headers=headers(form) if headers else None)
    return redirect(f"/children/{child_id}?saved={saved}")


@router.post("/children/{child_id}/flag/approve")
async def approve(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    return await _district_acts(request, viewer, child_id, service="registry",
                                path=f"/api/v1/children/{child_id}/flag/approve", saved="flag_done")


@router.post("/children/{child_id}/referrals/{referral_id}/cancel")
async def cancel_referral(request: Request, viewer: ViewerDep, child_id: uuid.UUID, referral_id: uuid.UUID) -> Response:
    return await _district_acts(request, viewer, child_id, service="referral",
                                path=f"/api/v1/referrals/{referral_id}/cancel",
                                body=lambda form: forms.answer(form, "reason"), saved="saved")


@router.post("/children/{child_id}/close")
async def close_case(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    """The district closes the case with its reason; the engine cancels what is still live."""
    return await _district_acts(request, viewer, child_id, service="registry",
                                path=f"/api/v1/children/{child_id}/close",
                                body=lambda form: {"reason": forms.text(form, "reason")}, saved="case_closed")


def _page_key(form) -> dict:
    """The key made with the page: a double submit adds the need once."""
    key = forms.text(form, "key")
    return {"Idempotency-Key": key} if key else {}


@router.post("/children/{child_id}/needs")
async def add_need(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    """A need added to the open case after the flag (an apprenticeship after the course)."""
    return await _district_acts(request, viewer, child_id, service="referral", path=f"/api/v1/cases/{child_id}/needs",
                                body=forms.need, headers=_page_key, saved="need_added")


@router.post("/children/{child_id}/merge-request")
async def ask_to_merge(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    """A cadre (or anyone who records) asks the district to merge a possible duplicate."""
    require(viewer, *RECORDERS)
    form = await form_of(request, viewer)
    await backends(request).call("registry", "POST", f"/api/v1/children/{child_id}/merge-requests",
                                 token=viewer.access_token, json={"duplicate_id": forms.text(form, "duplicate_id")})
    return redirect(f"/children/{child_id}?saved=merge_asked")


@router.post("/children/{child_id}/merge")
async def merge(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    """The district keeps this record and merges a duplicate of the same child into it."""
    return await _district_acts(request, viewer, child_id, service="registry",
                                path=f"/api/v1/children/{child_id}/merge",
                                body=lambda form: {"duplicate_id": forms.text(form, "duplicate_id")}, saved="merged")


@router.post("/children/{child_id}/needs/{need_id}/refer")
async def refer_need(request: Request, viewer: ViewerDep, child_id: uuid.UUID, need_id: uuid.UUID) -> Response:
    """The district sends a need that waits for it to a service it names (its other offers are withdrawn)."""
    return await _district_acts(request, viewer, child_id, service="referral",
                                path=f"/api/v1/cases/{child_id}/needs/{need_id}/referrals",
                                body=lambda form: {"offering_id": forms.text(form, "offering_id")},
                                headers=_page_key, saved="need_referred")


@router.post("/children/{child_id}/needs/{need_id}/withdraw")
async def withdraw_need(request: Request, viewer: ViewerDep, child_id: uuid.UUID, need_id: uuid.UUID) -> Response:
    return await _district_acts(request, viewer, child_id, service="referral",
                                path=f"/api/v1/cases/{child_id}/needs/{need_id}/withdraw",
                                body=lambda form: forms.answer(form, "reason"), saved="need_withdrawn")


@router.get("/children/{child_id}/rights")
async def data_rights(request: Request, viewer: ViewerDep, child_id: uuid.UUID, saved: str | None = None
                      ) -> Response:
    """The child's data rights for the district: who read the record, the data to hand to the child
    or guardian, and erasure; an export or an erasure asked by one operator waits for a second."""
    require(viewer, *DISTRICT)
    api, token = backends(request), viewer.access_token
    child, accesses, asked = await asyncio.gather(
        api.get("registry", f"/api/v1/children/{child_id}", token=token),
        api.get("registry", f"/api/v1/children/{child_id}/accesses", token=token, params={"limit": 200}),
        api.get("registry", f"/api/v1/children/{child_id}/rights-requests", token=token))
    latest = {kind: next((r for r in asked["items"] if r["kind"] == kind and r["status"] in ("pending", "confirmed")),
                         None) for kind in ("export", "erasure")}
    return page(request, "rights.html", child=child, accesses=accesses["items"], values={}, saved=saved,
                export=latest["export"], erasure=latest["erasure"], me=viewer.principal.subject)


@router.post("/children/{child_id}/rights")
async def ask_rights(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    """Ask for an export or an erasure; a second operator confirms it."""
    require(viewer, *DISTRICT)
    form = await form_of(request, viewer)
    kind = forms.text(form, "kind")
    if kind == "erasure" and form.get("confirm") != "yes":
        return redirect(f"/children/{child_id}/rights?unconfirmed=1")
    await backends(request).call("registry", "POST", f"/api/v1/children/{child_id}/rights-requests",
                                 token=viewer.access_token,
                                 json={"kind": kind, "basis": forms.text(form, "basis") if kind == "erasure" else None,
                                       "reference": forms.text(form, "reference")})
    return redirect(f"/children/{child_id}/rights?saved=rights_asked")


@router.post("/children/{child_id}/rights/{request_id}/{action}")
async def answer_rights(request: Request, viewer: ViewerDep, child_id: uuid.UUID, request_id: uuid.UUID,
                        action: str) -> Response:
    """A second operator confirms (an erasure is then carried out), or the request is withdrawn."""
    require(viewer, *DISTRICT)
    await form_of(request, viewer)
    if action not in ("confirm", "cancel"):
        raise NotAllowed()
    answered = await backends(request).call(
        "registry", "POST", f"/api/v1/children/{child_id}/rights-requests/{request_id}/{action}",
        token=viewer.access_token)
    if answered["status"] == "done":
        return redirect("/children?saved=erased")
    return redirect(f"/children/{child_id}/rights?saved={'export_open' if action == 'confirm' else 'rights_cancelled'}")


@router.get("/children/{child_id}/export.json")
async def data_export(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    """Everything the registry and the referral engine hold about the child, in one file for the
    child or guardian (each service audits the read)."""
    require(viewer, *DISTRICT)
    api, token = backends(request), viewer.access_token
    registry = await api.get("registry", f"/api/v1/children/{child_id}/export", token=token)
    try:
        referral = await api.get("referral", f"/api/v1/cases/{child_id}/export", token=token)
    except ApiError as error:
        if error.status != 404:
            raise
        referral = None  # never flagged: the engine holds nothing
    return Response(json.dumps({"registry": registry, "referral": referral}, ensure_ascii=False, indent=2),
                    media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="child-{child_id}.json"'})


EDITABLE = ("full_name", "sex", "birth_date", "nik")


@router.get("/children/{child_id}/edit")
async def edit_form(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    """Correct what was typed wrong: the name, sex, birth date or NIK."""
    require(viewer, *RECORDERS)
    child = await backends(request).get("registry", f"/api/v1/children/{child_id}", token=viewer.access_token)
    return page(request, "edit.html", child=child, values=child, was=child)


def _edits(mine: dict, was: dict, now: dict) -> tuple[dict, list[dict]]:
    """Three ways (pure): what the person typed, the record as their form showed it, the record now.
    A field only one side changed takes that side's value; a field both changed differently is a
    conflict, shown with both values for the person to choose (never decided for them)."""
    merged, conflicts = {}, []
    for name in EDITABLE:
        base, theirs = was.get(name) or "", str(now.get(name) or "")
        ours = mine.get(name) or ""
        if ours != base and theirs != base and ours != theirs:
            conflicts.append({"field": name, "mine": ours, "theirs": theirs})
            merged[name] = theirs
        else:
            merged[name] = ours if ours != base else theirs
    return merged, conflicts


@router.post("/children/{child_id}/edit")
async def edit(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    require(viewer, *RECORDERS)
    form = await form_of(request, viewer)
    mine = {name: forms.text(form, name) or "" for name in EDITABLE}
    body = {name: value for name, value in mine.items() if value}
    api = backends(request)
    try:
        await api.call("registry", "PATCH", f"/api/v1/children/{child_id}", token=viewer.access_token, json=body,
                       headers=forms.if_match(form))
    except ApiError as error:
        if error.status >= 500:
            raise
        child = await api.get("registry", f"/api/v1/children/{child_id}", token=viewer.access_token)
        if error.status != 412:  # a value is wrong: the form again, with what the person typed
            return page(request, "edit.html", status_code=error.status, child=child, values={**child, **body},
                        was={name: forms.text(form, f"was.{name}") for name in EDITABLE},
                        **problem_context(error, language(request)))
        # Someone changed the record meanwhile: merge what does not clash, ask about what does.
        was = {name: forms.text(form, f"was.{name}") or "" for name in EDITABLE}
        merged, conflicts = _edits(mine, was, child)
        return page(request, "edit.html", status_code=412, child=child, values={**child, **merged}, was=child,
                    conflicts=conflicts, **problem_context(error, language(request)))
    return redirect(f"/children/{child_id}?saved=saved")
