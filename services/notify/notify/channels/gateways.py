"""WhatsApp and SMS through their gateways' HTTP APIs. Both are off unless configured.

WhatsApp: the Business Cloud API (`POST /{phone-number-id}/messages`, a bearer token). A message a
business starts must be a template the business had approved: each notice kind is one template
(`sprpa_offer_new`...), whose parameters are the fields of its text in order and then the link
(`messages.whatsapp_templates()` lists them for approval). SMS: a gateway speaking Twilio's Messages
API (`POST /2010-04-01/Accounts/{sid}/Messages.json`, form fields To, From, Body, HTTP basic auth).
"""

from __future__ import annotations

from typing import Any

import httpx

from notify.channels import DeliveryFailed, Outgoing
from notify.settings import NotifySettings


class WhatsAppChannel:
    name = "whatsapp"

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.url = f"{settings.whatsapp_api_url.rstrip('/')}/{settings.whatsapp_phone_number_id}/messages"

    @staticmethod
    def configured(settings: NotifySettings) -> bool:
        return bool(settings.whatsapp_phone_number_id and settings.whatsapp_access_token)

    def body(self, outgoing: Outgoing) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": outgoing.to.lstrip("+"),
            "type": "template",
            "template": {"name": outgoing.template, "language": {"code": outgoing.language}, "components": [
                {"type": "body", "parameters": [{"type": "text", "text": value} for value in outgoing.parameters]},
            ]},
        }

    async def send(self, outgoing: Outgoing) -> str | None:
        answer = await _post(self.settings, self.url, json=self.body(outgoing),
                             headers={"Authorization": f"Bearer {self.settings.whatsapp_access_token}"})
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise DeliveryFailed("the WhatsApp API answered without a message id") from exc


class SmsChannel:
    name = "sms"

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.url = f"{settings.sms_api_url.rstrip('/')}/2010-04-01/Accounts/{settings.sms_account_sid}/Messages.json"

    @staticmethod
    def configured(settings: NotifySettings) -> bool:
        return bool(settings.sms_account_sid and settings.sms_auth_token and settings.sms_from)

    async def send(self, outgoing: Outgoing) -> str | None:
        form = {"To": outgoing.to, "From": self.settings.sms_from, "Body": outgoing.short}
        if self.settings.public_url:
            form["StatusCallback"] = receipt_url(self.settings, "sms")
        answer = await _post(self.settings, self.url, data=form,
                             auth=(self.settings.sms_account_sid, self.settings.sms_auth_token))
        if not answer.get("sid"):
            raise DeliveryFailed("the SMS gateway answered without a message sid")
        return str(answer["sid"])


def receipt_url(settings: NotifySettings, channel: str) -> str:
    """Where a gateway posts its delivery receipts (through the pages' host, as the notify API is)."""
    return f"{settings.public_url.rstrip('/')}/api/v1/notifications/receipts/{channel}"


async def _post(settings: NotifySettings, url: str, **request: Any) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=settings.gateway_timeout_seconds) as client:
            answer = await client.post(url, **request)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: the gateway could not be reached") from exc
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if answer.status_code >= 300:
        raise DeliveryFailed(f"HTTP {answer.status_code}: {_reason(body)}"[:300])
    return body if isinstance(body, dict) else {}


def _reason(body: Any) -> str:
    """The gateway's own words for a refusal (Meta: error.message and code; Twilio: message and code)."""
    if not isinstance(body, dict):
        return "no reason given"
    error = body.get("error") if isinstance(body.get("error"), dict) else body
    message, code = error.get("message"), error.get("code")
    return f"{message} (code {code})" if message and code else str(message or "no reason given")
