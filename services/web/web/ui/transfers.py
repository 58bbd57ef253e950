"""Moving a child's case to another kabupaten: proposed from the child's page, answered on the
receiving kabupaten's transfers page (accept into one of its desa, or decline with a reason)."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sprpa_shared.auth.principal import Role
from web.ui import forms, names
from web.ui.render import ViewerDep, backends, form_of, page, redirect, require

router = APIRouter(include_in_schema=False)
OPERATORS = (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN)


@router.get("/transfers")
async def transfers(request: Request, viewer: ViewerDep, saved: str | None = None) -> Response:
    """Proposals waiting for this kabupaten's answer first, then what it proposed and answered."""
    require(viewer, *OPERATORS)
    api, token = backends(request), viewer.access_token
    incoming, outgoing, answered = await asyncio.gather(*(
        api.get("registry", "/api/v1/transfers", token=token, params=params) for params in (
            {"direction": "incoming", "status": "proposed"}, {"direction": "outgoing"},
            {"direction": "incoming", "limit": 20})))
    answered_items = [t for t in answered["items"] if t["status"] != "proposed"]
    every = [*incoming["items"], *outgoing["items"], *answered_items]
    codes = {code for t in every for code in (t["from_village_code"], t["from_regency_code"], t["to_regency_code"],
                                              t["to_village_code"])}
    return page(request, "transfers.html", incoming=incoming["items"], outgoing=outgoing["items"],
                answered=answered_items, place_names=await names.places(api, token, codes), saved=saved)


@router.post("/children/{child_id}/transfer")
async def propose(request: Request, viewer: ViewerDep, child_id: uuid.UUID) -> Response:
    require(viewer, *OPERATORS)
    form = await form_of(request, viewer)
    key = forms.text(form, "key")
    await backends(request).call("registry", "POST", f"/api/v1/children/{child_id}/transfers",
                                 token=viewer.access_token, headers={"Idempotency-Key": key} if key else None,
                                 json={name: value for name in ("to_regency_code", "to_village_code", "reason")
                                       if (value := forms.text(form, name))})
    return redirect("/transfers?saved=transfer_proposed")


async def _answer(request: Request, viewer, transfer_id: uuid.UUID, action: str, body) -> dict:
    require(viewer, *OPERATORS)
    form = await form_of(request, viewer)
    return await backends(request).call("registry", "POST", f"/api/v1/transfers/{transfer_id}/{action}",
                                        token=viewer.access_token, json=body(form))


@router.post("/transfers/{transfer_id}/accept")
async def accept(request: Request, viewer: ViewerDep, transfer_id: uuid.UUID) -> Response:
    """Accepted: the child is now this kabupaten's; its page opens."""
    transfer = await _answer(request, viewer, transfer_id, "accept",
                             lambda form: {"village_code": forms.text(form, "village_code")}
                             if forms.text(form, "village_code") else {})
    return redirect(f"/children/{transfer['child_id']}?saved=transfer_accepted")


@router.post("/transfers/{transfer_id}/decline")
async def decline(request: Request, viewer: ViewerDep, transfer_id: uuid.UUID) -> Response:
    await _answer(request, viewer, transfer_id, "decline", lambda form: {"reason": forms.text(form, "reason")})
    return redirect("/transfers?saved=transfer_declined")


@router.post("/transfers/{transfer_id}/cancel")
async def cancel(request: Request, viewer: ViewerDep, transfer_id: uuid.UUID) -> Response:
    await _answer(request, viewer, transfer_id, "cancel", lambda form: None)
    return redirect("/transfers?saved=transfer_cancelled")
