"""WhatsApp and SMS through their gateways, checked against a local server that does what the
gateways' documentation says (Meta's Cloud API `messages` endpoint, Twilio's Messages API); their
delivery receipts, signed as the gateways sign them; and the daily digest."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from datetime import timedelta

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from notify.main import create_app
from notify.settings import NotifySettings
from notify.testing import NOW, ORGANIZATION, mou_expiring, offer, organization
from services.notify.tests.test_offers import kinds, subscribe
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import bound_socket, running

PHONE_ID, TOKEN, SID, AUTH = "1098765432", "EAAG-test-token", "AC0123456789abcdef", "twilio-auth-token"
APP_SECRET, PUBLIC = "meta-app-secret", "https://notify.jember.example"
STAFF_PHONE = "+6281234567890"


class Gateway:
    """Meta's and Twilio's endpoints as their documentation specifies; each may refuse its first answers."""

    def __init__(self) -> None:
        self.whatsapp: list[dict] = []
        self.sms: list[dict] = []
        self.refuse = 0
        self.socket = bound_socket()
        self.port = self.socket.getsockname()[1]
        app = FastAPI()

        @app.post(f"/v21.0/{PHONE_ID}/messages")
        async def messages(request: Request):
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return JSONResponse({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                               "code": 190}}, status_code=401)
            body = await request.json()
            template = body.get("template", {})
            well_formed = (body.get("messaging_product") == "whatsapp" and body.get("type") == "template"
                           and str(body.get("to", "")).isdigit() and template.get("name")
                           and template.get("language", {}).get("code") in ("id", "en")
                           and all(parameter.get("type") == "text" and parameter.get("text")
                                   for component in template.get("components", [])
                                   for parameter in component.get("parameters", [])))
            if not well_formed:
                return JSONResponse({"error": {"message": "(#100) Invalid parameter", "code": 100}}, status_code=400)
            if self.refuse > 0:
                self.refuse -= 1
                return JSONResponse({"error": {"message": "Service temporarily unavailable", "code": 2}},
                                    status_code=503)
            self.whatsapp.append(body)
            return {"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                    "messages": [{"id": f"wamid.{len(self.whatsapp)}"}]}

        @app.post(f"/2010-04-01/Accounts/{SID}/Messages.json")
        async def sms(request: Request):
            if request.headers.get("authorization") != "Basic " + base64.b64encode(f"{SID}:{AUTH}".encode()).decode():
                return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, status_code=401)
            form = dict(await request.form())
            if not form.get("To", "").startswith("+") or not form.get("From") or not form.get("Body"):
                return JSONResponse({"code": 21604, "message": "A 'To' phone number is required.", "status": 400},
                                    status_code=400)
            self.sms.append(form)
            return JSONResponse({"sid": f"SM{len(self.sms):032d}", "status": "queued", "to": form["To"]},
                                status_code=201)

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def gateway():
    made = Gateway()
    task = asyncio.create_task(made.server.serve(sockets=[made.socket]))
    await wait_until(lambda: made.server.started, timeout=10, what="the gateway")
    yield made
    made.server.should_exit = True
    await task


@pytest.fixture
async def notify(make_settings, issuer, mail, clock, gateway):
    settings = await make_settings(
        NotifySettings, smtp_host=mail.host, smtp_port=mail.port, delivery_sweep_seconds=0.05,
        reminder_sweep_seconds=0.05, retry_first_seconds=60.0, public_url=PUBLIC,
        whatsapp_api_url=f"{gateway.url}/v21.0", whatsapp_phone_number_id=PHONE_ID, whatsapp_access_token=TOKEN,
        whatsapp_app_secret=APP_SECRET, whatsapp_verify_token="verify-me",
        sms_api_url=gateway.url, sms_account_sid=SID, sms_auth_token=AUTH, sms_from="SPRPA")
    app = create_app(settings, verifier=issuer.verifier(), clock=clock)
    async with running(app) as api:
        app.state.client = api
        yield app


def whatsapp_signed(payload: dict) -> tuple[bytes, dict]:
    body = json.dumps(payload).encode()
    return body, {"X-Hub-Signature-256": "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest(),
                  "Content-Type": "application/json"}


def twilio_signed(form: dict) -> dict:
    """Twilio's documented scheme: HMAC-SHA1 over the URL and each form field, sorted, base64."""
    signed = f"{PUBLIC}/api/v1/notifications/receipts/sms" + "".join(f"{key}{form[key]}" for key in sorted(form))
    return {"X-Twilio-Signature": base64.b64encode(hmac.new(AUTH.encode(), signed.encode(), hashlib.sha1).digest())
            .decode()}


def status_of(wamid: str, status: str, **more) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID},
        "statuses": [{"id": wamid, "status": status, "timestamp": "1764468000", "recipient_id": "6281234567890",
                      **more}]}}]}]}


async def test_an_offer_reaches_the_staff_by_whatsapp_template_and_sms_and_the_receipts_are_recorded(
        api, as_, publish, gateway, db):
    staff = as_("provider", ORGANIZATION)
    await subscribe(api, staff, None, phone=STAFF_PHONE, whatsapp_enabled=True, sms_enabled=True)
    await publish(organization())
    referral = uuid.uuid4()
    await publish(offer(referral, hours=48))

    await wait_until(lambda: gateway.whatsapp and gateway.sms, timeout=20, what="the WhatsApp message and the SMS")
    [message] = gateway.whatsapp
    link = f"http://127.0.0.1:8000/inbox/{referral}"
    assert message["to"] == "6281234567890"
    assert message["template"]["name"] == "sprpa_offer_new" and message["template"]["language"] == {"code": "id"}
    assert [parameter["text"] for parameter in message["template"]["components"][0]["parameters"]] == [
        "Kesilir", "Kejar Paket A/B/C (kesetaraan)", "2 Desember 2026 09.00 WIB", link]
    [sms] = gateway.sms
    assert (sms["To"], sms["From"]) == (STAFF_PHONE, "SPRPA")
    assert sms["Body"] == f"SPRPA: Rujukan baru: Kejar Paket A/B/C (kesetaraan). {link}"
    assert sms["StatusCallback"] == f"{PUBLIC}/api/v1/notifications/receipts/sms"
    sent = await wait_until(lambda: db.fetch("SELECT channel, status, external_id FROM deliveries WHERE status = "
                                             "'sent' ORDER BY channel"), what="both marked sent")
    assert [(row["channel"], row["external_id"]) for row in sent] == [
        ("sms", f"SM{1:032d}"), ("whatsapp", "wamid.1")]

    body, headers = whatsapp_signed(status_of("wamid.1", "delivered"))
    forged = {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}
    refused = await api.post("/api/v1/notifications/receipts/whatsapp", content=body, headers=forged)
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    assert await db.fetchval("SELECT status FROM deliveries WHERE channel = 'whatsapp'") == "sent"
    answer = await api.post("/api/v1/notifications/receipts/whatsapp", content=body, headers=headers)
    assert answer.status_code == 204, answer.text
    assert await db.fetchval("SELECT status FROM deliveries WHERE channel = 'whatsapp'") == "delivered"

    form = {"MessageSid": f"SM{1:032d}", "MessageStatus": "undelivered", "ErrorCode": "30003", "To": STAFF_PHONE}
    forged_sms = await api.post("/api/v1/notifications/receipts/sms", data=form, headers={"X-Twilio-Signature": "x"})
    assert forged_sms.status_code == 401
    assert (await api.post("/api/v1/notifications/receipts/sms", data=form, headers=twilio_signed(form))
            ).status_code == 204
    row = await db.fetchrow("SELECT status, last_error FROM deliveries WHERE channel = 'sms'")
    assert (row["status"], row["last_error"]) == ("failed", "SMS undelivered (code 30003)")

    listed = (await api.get("/api/v1/notifications/deliveries", headers=as_("operator"))).json()["items"]
    assert sorted((item["channel"], item["status"]) for item in listed) == [("sms", "failed"),
                                                                             ("whatsapp", "delivered")]
    challenge = await api.get("/api/v1/notifications/receipts/whatsapp", params={
        "hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert challenge.status_code == 200 and challenge.text == "1158201444"
    assert (await api.get("/api/v1/notifications/receipts/whatsapp", params={
        "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})).status_code == 401


async def test_a_gateway_refusing_is_retried_with_back_off_and_its_reason_names_no_number(
        api, as_, publish, gateway, clock, db):
    await subscribe(api, as_("provider", ORGANIZATION), None, phone=STAFF_PHONE, whatsapp_enabled=True)
    gateway.refuse = 1
    await publish(offer())
    failed = await wait_until(lambda: db.fetchrow("SELECT attempts, last_error, next_attempt_at FROM deliveries "
                                                  "WHERE attempts > 0"), timeout=20, what="a refused attempt")
    assert failed["last_error"] == "HTTP 503: Service temporarily unavailable (code 2)"
    assert failed["next_attempt_at"] == NOW + timedelta(seconds=60)
    clock.set(NOW + timedelta(seconds=61))
    await wait_until(lambda: gateway.whatsapp, timeout=20, what="the message after the retry")
    assert "81234567890" not in json.dumps([dict(row) for row in await db.fetch("SELECT last_error FROM deliveries")])
    assert await db.fetchval("SELECT phone FROM subscribers") != STAFF_PHONE, "the number is encrypted at rest"


async def _all_four(rows):
    rows = await rows
    return rows if len(rows) == 4 else None


async def test_a_daily_digest_holds_what_is_not_urgent_for_the_persons_hour_and_sends_it_as_one(
        api, as_, publish, mail, gateway, clock, db):
    operator = as_("operator")
    await subscribe(api, operator, "operator@jember.example", phone="+6281300000001", whatsapp_enabled=True,
                    digest="daily", digest_at="07:00:00")
    await publish(organization())
    await publish(mou_expiring())
    await publish(offer(status="offered", organization=uuid.UUID(int=109), backbone=True))  # urgent: at once
    await publish(mou_expiring(mou_id=uuid.UUID(int=56)))
    await publish.handled()

    [urgent] = await wait_until(lambda: mail.to("operator@jember.example"), timeout=20, what="the urgent mail")
    assert "penyangga" in urgent["Subject"]
    # Both notices, by mail and by WhatsApp: waiting for the first held only, the clock could move while
    # the other was still queued, and the digest went out with one notice (seen on a slow machine).
    held = await wait_until(lambda: _all_four(db.fetch("SELECT next_attempt_at FROM deliveries WHERE digest")),
                            what="the rest held for the digest")
    assert {row["next_attempt_at"] for row in held} == {NOW.replace(day=1, month=12, hour=0)}  # 07:00 WIB tomorrow
    # Each channel delivers on its own: the message may follow the mail by a moment.
    await wait_until(lambda: len(gateway.whatsapp) == 1, timeout=20, what="the urgent WhatsApp message")
    assert len(mail.to("operator@jember.example")) == 1 and len(gateway.whatsapp) == 1

    clock.set(NOW.replace(day=1, month=12, hour=0))
    digest = await wait_until(lambda: len(mail.to("operator@jember.example")) == 2 and mail.to(
        "operator@jember.example")[-1], timeout=20, what="the digest")
    assert digest["Subject"] == "Ringkasan SPRPA: 2 pemberitahuan"
    text = digest.get_body(("plain",)).get_content()
    assert text.count("MOU dengan PKBM Tunas Harapan berlaku sampai 2026-12-30") == 2
    await wait_until(lambda: len(gateway.whatsapp) == 2, timeout=20, what="the WhatsApp digest")
    template = gateway.whatsapp[-1]["template"]
    assert template["name"] == "sprpa_digest"
    assert [parameter["text"] for parameter in template["components"][0]["parameters"]] == [
        "2", "http://127.0.0.1:8000/notifications"]
    assert sorted(await kinds(api, operator)) == ["escalation.backbone", "mou.expiring", "mou.expiring"]
