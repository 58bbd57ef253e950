"""The loop closes with people: a flag's offer reaches the provider's staff by email, WhatsApp, SMS
and in the app within seconds, the desa's cadre hears when the referral is completed, an
integrating system hears every event by webhook, and nothing any of them is told names the child."""

from __future__ import annotations

import asyncio
import contextlib
import json

from notify.main import create_app as create_notify
from notify.settings import NotifySettings
from registry.testing import child_payload
from services.notify.tests.test_channels import AUTH, PHONE_ID, SID, TOKEN, Gateway
from services.notify.tests.test_webhooks import Receiver, client, register
from sprpa_contracts.events import CATALOGUE
from sprpa_shared.ops.mailsink import MailSink
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import running
from tests.end_to_end.conftest import ASSESSMENT, GUARDIAN, running_system
from tests.end_to_end.test_referral_loop import _replica_has

STAFF = "staf@tunas.example"
CHILD = {"full_name": "Siti Aminah Wulandari", "nik": "3509114508120077"}


async def test_a_flag_reaches_the_providers_staff_by_email_and_in_the_app_and_names_no_child(
        make_settings, issuer, tmp_path_factory, as_):
    mail = MailSink().start()
    async with contextlib.AsyncExitStack() as servers:
        gateway, receiver = Gateway(), Receiver()
        for server in (gateway.server, receiver.server):
            task = asyncio.create_task(server.serve())
            servers.push_async_callback(lambda task=task: task)
            servers.callback(lambda server=server: setattr(server, "should_exit", True))
            await wait_until(lambda server=server: server.started, timeout=10, what="a local server")
        servers.callback(mail.stop)
        async with running_system(make_settings, issuer, tmp_path_factory) as system:
            notify_app = create_notify(await make_settings(
                NotifySettings, smtp_host=mail.host, smtp_port=mail.port, delivery_sweep_seconds=0.05,
                whatsapp_api_url=f"{gateway.url}/v21.0", whatsapp_phone_number_id=PHONE_ID,
                whatsapp_access_token=TOKEN, sms_api_url=gateway.url, sms_account_sid=SID, sms_auth_token=AUTH,
                sms_from="SPRPA"), verifier=issuer.verifier(), clock=system.apps["registry"].state.clock)
            async with running(notify_app) as notify:
                await register(notify, client(issuer), receiver.url,
                               types=[model.event_type for model in CATALOGUE])
                await _loop(system, notify, mail, as_, gateway, receiver)


async def _loop(system, notify, mail, as_, gateway, receiver) -> None:
    registry, providers, engine = system.registry, system.providers, system.engine
    operator, cadre = as_("operator"), as_("cadre")
    org = (await providers.post("/api/v1/organizations", headers=operator, json={
        "name": "PKBM Tunas Harapan", "kind": "school_pkbm", "regency_code": "35.09"})).json()
    staff = as_("provider", org["id"])
    for who, address in ((staff, STAFF), (cadre, "kader@kesilir.example"), (operator, "dinas@jember.example")):
        answer = await notify.put("/api/v1/notifications/preferences", headers=who, json={
            "email": address, "phone": "+6281234567890", "whatsapp_enabled": True, "sms_enabled": True})
        assert answer.status_code == 200, answer.text
    need = "education.equivalency"
    assert (await providers.post(f"/api/v1/organizations/{org['id']}/mous", headers=operator, json={
        "number": "MOU-12", "regency_code": "35.09", "signed_date": "2026-01-05", "valid_from": "2026-01-10",
        "valid_until": "2027-01-31", "service_categories": [need]})).status_code == 201
    offering = (await providers.post("/api/v1/services", headers=operator, json={
        "organization_id": org["id"], "category": need, "name": "Kejar Paket B", "regency_code": "35.09",
        "min_age": 10, "max_age": 17, "capacity": 10})).json()
    await wait_until(lambda: _replica_has(system.apps["referral"], offering["id"]), timeout=20,
                     what="offering in the engine's replica")
    child = (await registry.post("/api/v1/children", json=child_payload(**CHILD), headers=cadre)).json()
    await registry.post(f"/api/v1/children/{child['id']}/assessments", json=ASSESSMENT,
                        headers={**cadre, "If-Match": "*"})
    flag = await registry.post(f"/api/v1/children/{child['id']}/flag", headers=operator, json={
        "root_causes": ["out_of_school"], "extra_needs": [need], "consent": GUARDIAN})
    assert flag.status_code == 201, flag.text

    [offer_mail] = await wait_until(lambda: mail.to(STAFF), timeout=20, what="the offer's email")
    assert offer_mail["Subject"] == "Rujukan baru: Kejar Paket A/B/C (kesetaraan)"
    [offer] = (await engine.get("/api/v1/referrals", headers=staff)).json()["items"]
    assert f"/inbox/{offer['id']}" in offer_mail.get_body(("plain",)).get_content()
    in_app = (await notify.get("/api/v1/notifications", headers=staff)).json()["items"]
    assert [(item["kind"], item["link"]) for item in in_app] == [("offer.new", f"/inbox/{offer['id']}")]

    for step, body in (("accept", None), ("start", None), ("complete", {"outcome": "service_delivered"})):
        answer = await engine.post(f"/api/v1/referrals/{offer['id']}/{step}", headers=staff, json=body)
        assert answer.status_code == 200, answer.text
    done = await wait_until(lambda: mail.to("kader@kesilir.example"), timeout=20, what="the cadre's note")
    assert done[0]["Subject"] == "Layanan selesai: Kejar Paket A/B/C (kesetaraan)"

    await wait_until(lambda: len(gateway.whatsapp) >= 2 and len(gateway.sms) >= 2, timeout=20,
                     what="the offer and the completion by WhatsApp and SMS")
    await wait_until(lambda: any(b"completed" in body for _, body in receiver.received), timeout=30,
                     what="the completed referral by webhook")
    told = [message.get_body(("plain",)).get_content() + str(message["Subject"]) for message in mail.messages]
    told += [json.dumps(message) for message in gateway.whatsapp] + [json.dumps(message) for message in gateway.sms]
    told += [body.decode() for _, body in receiver.received]
    for who in (staff, cadre, operator):
        told += [item["title"] + item["body"] + item["link"]
                 for item in (await notify.get("/api/v1/notifications", headers=who)).json()["items"]]
    leaked = [(field, text) for text in told for field, value in CHILD.items() if value.lower() in text.lower()]
    leaked += [(field, text) for text in told for field, value in (("birth_date", "2012-08-05"),
                                                                   ("consent given by", GUARDIAN["given_by"]))
               if value in text]
    assert not leaked, leaked
    assert len(told) >= 12 and any("flagged" in text for text in told), "the webhook had the flag too"
