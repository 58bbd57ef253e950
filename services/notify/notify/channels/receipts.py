"""Delivery receipts the gateways post back: a WhatsApp or SMS message the phone got is
`delivered`; one the network could not deliver is `failed` with the gateway's reason. No token: a
receipt is proven by the gateway's signature over it (Meta: X-Hub-Signature-256, HMAC-SHA256 of
the body with the app secret; Twilio: X-Twilio-Signature, HMAC-SHA1 of the URL and the sorted form
with the auth token), and one without a valid signature is refused and changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy import text

from notify.channels.gateways import receipt_url
from notify.sql import run
from sprpa_shared.dependencies import SessionDep
from sprpa_shared.errors import BadRequest, Unauthorized

router = APIRouter(prefix="/api/v1/notifications/receipts", tags=["notifications"])

_RECEIPT = text("""
UPDATE deliveries SET status = :status, last_error = coalesce(:error, last_error)
WHERE channel = :channel AND external_id = :external AND status = ANY (:from_statuses)
""")
# What each gateway status means for a delivery already sent.
_WHATSAPP = {"delivered": "delivered", "read": "delivered", "failed": "failed"}
_SMS = {"delivered": "delivered", "undelivered": "failed", "failed": "failed"}


@router.get("/whatsapp", response_class=PlainTextResponse,
            summary="For Meta: the subscription check of the WhatsApp receipt endpoint (hub.verify_token)")
async def whatsapp_subscription(request: Request, mode: Annotated[str, Query(alias="hub.mode")],
                                token: Annotated[str, Query(alias="hub.verify_token")],
                                challenge: Annotated[str, Query(alias="hub.challenge", max_length=200)]) -> str:
    """Meta's check when the endpoint is subscribed: echo the challenge to whoever knows the token."""
    expected = request.app.state.settings.whatsapp_verify_token
    if mode != "subscribe" or not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Unauthorized("not the verify token this service was given")
    return challenge


@router.post("/whatsapp", status_code=204, response_class=Response,
             summary="For Meta: WhatsApp delivery receipts, signed with the app secret (X-Hub-Signature-256)")
async def whatsapp_receipt(request: Request, session: SessionDep) -> Response:
    body = await request.body()
    secret = request.app.state.settings.whatsapp_app_secret
    signature = request.headers.get("x-hub-signature-256", "")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not secret or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise Unauthorized("the receipt is not signed with this service's WhatsApp app secret")
    try:
        payload = json.loads(body)
        statuses = [status for entry in payload.get("entry", []) for change in entry.get("changes", [])
                    for status in change.get("value", {}).get("statuses", [])]
    except (ValueError, AttributeError, TypeError) as exc:
        raise BadRequest("not a WhatsApp status notification") from exc
    for status in statuses:
        if (outcome := _WHATSAPP.get(str(status.get("status")))) and status.get("id"):
            errors = status.get("errors") or [{}]
            await _record(session, "whatsapp", str(status["id"]), outcome,
                          _reason(errors[0].get("title"), errors[0].get("code")) if outcome == "failed" else None)
    return Response(status_code=204)


@router.post("/sms", status_code=204, response_class=Response,
             summary="For the SMS gateway: delivery receipts, signed with its token (X-Twilio-Signature)")
async def sms_receipt(request: Request, session: SessionDep) -> Response:
    settings = request.app.state.settings
    form = {key: str(value) for key, value in (await request.form()).items()}
    signed = receipt_url(settings, "sms") + "".join(f"{key}{form[key]}" for key in sorted(form))
    expected = base64.b64encode(hmac.new(settings.sms_auth_token.encode(), signed.encode(), hashlib.sha1).digest())
    signature = request.headers.get("x-twilio-signature", "").encode()
    if not settings.sms_auth_token or not settings.public_url or not hmac.compare_digest(signature, expected):
        raise Unauthorized("the receipt is not signed with this service's SMS gateway token")
    if (outcome := _SMS.get(form.get("MessageStatus", ""))) and form.get("MessageSid"):
        await _record(session, "sms", form["MessageSid"], outcome,
                      _reason(f"SMS {form['MessageStatus']}", form.get("ErrorCode")) if outcome == "failed" else None)
    return Response(status_code=204)


async def _record(session, channel: str, external: str, status: str, error: str | None) -> None:
    await run(session, _RECEIPT, {"channel": channel, "external": external, "status": status, "error": error,
                                  "from_statuses": ["sent"] if status == "delivered" else ["sent", "delivered"]})


def _reason(title: Any, code: Any) -> str:
    return (f"{title or 'failed'} (code {code})" if code else str(title or "failed"))[:300]
