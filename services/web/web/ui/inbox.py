"""A provider's referrals: open offers with their deadlines, accepted and in service; and the answers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sprpa_contracts.vocabulary import LIVE_REFERRAL
from sprpa_shared.auth.principal import Role
from web.ui import forms, names
from web.ui.backends import ApiError
from web.ui.render import ViewerDep, backends, form_of, language, page, problem_context, redirect, require
from web.ui.sessions import Viewer

router = APIRouter(include_in_schema=False)
STAFF = (Role.PROVIDER_STAFF,)
OPEN = tuple(sorted(LIVE_REFERRAL))
# What each answer sends: the field holding its coded reason, if it has one.
ANSWERS = {"accept": None, "decline": "reason", "start": None, "complete": "outcome"}


@router.get("/inbox")
async def inbox(request: Request, viewer: ViewerDep, status: str | None = None, cursor: str | None = None) -> Response:
    require(viewer, *STAFF)
    api, token = backends(request), viewer.access_token
    listed = await api.get("referral", "/api/v1/referrals", token=token,
                           params={"status": status, "cursor": cursor, "limit": 50})
    categories = dict(await names.categories(api, token, language(request)))
    places = await names.places(api, token, {row["village_code"] for row in listed["items"]})
    return page(request, "inbox.html", rows=listed["items"], next_cursor=listed.get("next_cursor"), status=status,
                categories=categories, place_names=places)


async def _referral_page(request: Request, viewer: Viewer, referral_id: uuid.UUID, *, status_code: int = 200,
                         **context) -> Response:
    api, token = backends(request), viewer.access_token
    referral = await api.get("referral", f"/api/v1/referrals/{referral_id}", token=token)
    child, categories = await asyncio.gather(_child(request, viewer, referral["child_id"]),
                                             names.categories(api, token, language(request)))
    places = await names.places(api, token, {referral["village_code"]})
    return page(request, "referral.html", status_code=status_code, referral=referral, child=child,
                categories=dict(categories), place_names=places, **{"values": {}, **context})


async def _child(request: Request, viewer: Viewer, child_id: str) -> dict | None:
    """What the registry lets this provider see of the child (only while the referral is live)."""
    try:
        return await backends(request).get("registry", f"/api/v1/children/{child_id}", token=viewer.access_token)
    except ApiError as error:
        if error.status == 404:
            return None
        raise


@router.get("/inbox/{referral_id}")
async def referral(request: Request, viewer: ViewerDep, referral_id: uuid.UUID, saved: bool = False) -> Response:
    require(viewer, *STAFF)
    return await _referral_page(request, viewer, referral_id, saved=saved)


@router.post("/inbox/{referral_id}/{answer}")
async def answer(request: Request, viewer: ViewerDep, referral_id: uuid.UUID,
                 answer: Literal["accept", "decline", "start", "complete"]) -> Response:
    require(viewer, *STAFF)
    form = await form_of(request, viewer)
    reason_field = ANSWERS[answer]
    body = forms.answer(form, reason_field) if reason_field else None
    try:
        await backends(request).call("referral", "POST", f"/api/v1/referrals/{referral_id}/{answer}",
                                     token=viewer.access_token, json=body)
    except ApiError as error:
        return await _referral_page(request, viewer, referral_id, status_code=error.status, values=forms.typed(form),
                                    answer=answer, **problem_context(error, language(request)))
    return redirect(f"/inbox/{referral_id}?saved=1")
