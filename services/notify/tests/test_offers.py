"""A provider hears of an offer by email and in the app, is reminded at half and 80% of the SLA,
and hears nothing more once it answered; the district hears of an escalation to the backbone."""

from __future__ import annotations

import uuid
from datetime import timedelta

from notify.main import create_app
from notify.sending import remind_once, send_once
from notify.settings import NotifySettings
from notify.testing import BACKBONE, NOW, ORGANIZATION, awaiting_approval, mou_expiring, offer, organization, visits_due
from services.notify.tests.conftest import Publisher
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import running

STAFF = "staf@tunas.example"
OPERATOR = "operator@jember.example"


async def subscribe(api, headers, email: str, **preferences) -> None:
    response = await api.put("/api/v1/notifications/preferences", headers=headers,
                             json={"email": email, **preferences})
    assert response.status_code == 200, response.text


async def mail_to(mail, address: str, count: int, what: str = "mail"):
    return await wait_until(lambda: len(mail.to(address)) >= count and mail.to(address), timeout=20,
                            what=f"{count} {what} to {address}")


async def kinds(api, headers) -> list[str]:
    response = await api.get("/api/v1/notifications", headers=headers)
    assert response.status_code == 200, response.text
    return [item["kind"] for item in response.json()["items"]]


async def test_a_new_offer_is_mailed_to_the_organisations_staff_and_shown_in_the_app(api, as_, publish, mail):
    staff = as_("provider", ORGANIZATION)
    await subscribe(api, staff, STAFF)
    await publish(organization())
    referral = uuid.uuid4()
    await publish(offer(referral, hours=48))

    [message] = await mail_to(mail, STAFF, 1)
    assert message["Subject"] == "Rujukan baru: Kejar Paket A/B/C (kesetaraan)"
    text = message.get_body(("plain",)).get_content()
    assert "Desa Kesilir" in text
    assert "2 Desember 2026 09.00 WIB" in text, text  # 48 h after 09:00 WIB on 30 November
    assert f"/inbox/{referral}" in text
    assert message["List-Unsubscribe"].endswith("/notifications/settings>")
    assert message.get_body(("html",)) is not None

    listed = (await api.get("/api/v1/notifications", headers=staff)).json()["items"]
    assert [(item["kind"], item["read"], item["link"]) for item in listed] == [
        ("offer.new", False, f"/inbox/{referral}")]
    assert (await api.get("/api/v1/notifications/unread", headers=staff)).json() == {"unread": 1}
    assert (await api.post(f"/api/v1/notifications/{listed[0]['id']}/read", headers=staff)).status_code == 204
    assert (await api.get("/api/v1/notifications/unread", headers=staff)).json() == {"unread": 0}

    other = as_("provider", uuid.UUID(int=999))
    assert await kinds(api, other) == []
    assert (await api.post(f"/api/v1/notifications/{listed[0]['id']}/read", headers=other)).status_code == 404
    assert (await api.get("/api/v1/notifications", headers=as_("analyst"))).status_code == 403


async def test_reminders_come_at_half_and_80_percent_of_the_sla_once_each_and_stop_once_answered(
        notify, api, as_, publish, mail, clock, db):
    staff = as_("provider", ORGANIZATION)
    await subscribe(api, staff, STAFF)
    waiting, answered = uuid.uuid4(), uuid.uuid4()
    await publish(offer(waiting, hours=10))
    await publish(offer(answered, hours=10))
    await mail_to(mail, STAFF, 2, "offers")

    clock.set(NOW + timedelta(hours=5))  # half the SLA
    await mail_to(mail, STAFF, 4, "half-time reminders")
    clock.set(NOW + timedelta(hours=6))
    await publish(offer(answered, status="accepted", at=NOW + timedelta(hours=6)), at=NOW + timedelta(hours=6))
    await publish.handled()

    clock.set(NOW + timedelta(hours=8))  # 80%
    late = await mail_to(mail, STAFF, 5, "the late reminder")
    assert str(late[-1]["Subject"]).strip() == "[Segera] Rujukan Kejar Paket A/B/C (kesetaraan) hampir berakhir"
    assert await remind_once(notify) == 0, "every reminder due was written once"
    clock.set(NOW + timedelta(hours=11))  # past the deadline: nothing more
    assert await remind_once(notify) == 0
    reminders = await db.fetch("SELECT kind, params->>'referral_id' AS referral FROM notifications "
                               "WHERE kind LIKE 'offer.reminder.%' ORDER BY created_at, kind")
    assert sorted((row["kind"], row["referral"]) for row in reminders) == sorted([
        ("offer.reminder.half", str(waiting)), ("offer.reminder.half", str(answered)),
        ("offer.reminder.late", str(waiting))])
    assert len(mail.to(STAFF)) == 5


async def test_an_expired_offer_is_told_and_the_backbone_escalation_reaches_the_district(
        api, as_, publish, mail, clock):
    staff, operator = as_("provider", ORGANIZATION), as_("operator")
    await subscribe(api, staff, STAFF)
    await subscribe(api, operator, OPERATOR, language="en")
    await publish(organization(BACKBONE, "LPA Jember"))
    referral = uuid.uuid4()
    await publish(offer(referral))
    await mail_to(mail, STAFF, 1)
    clock.set(NOW + timedelta(hours=48))
    await publish(offer(referral, status="expired", at=NOW + timedelta(hours=48)), at=NOW + timedelta(hours=48))
    await publish(offer(organization=BACKBONE, backbone=True, at=NOW + timedelta(hours=48)),
                  at=NOW + timedelta(hours=48))

    expired = await mail_to(mail, STAFF, 2)
    assert expired[-1]["Subject"] == "Rujukan Kejar Paket A/B/C (kesetaraan) berakhir"
    [escalation] = await mail_to(mail, OPERATOR, 1)
    assert escalation["Subject"] == "[Urgent] Escalated to the backbone: Kejar Paket A/B/C (non-formal equivalency)"
    assert "LPA Jember" in escalation.get_body(("plain",)).get_content()
    assert await kinds(api, operator) == ["escalation.backbone"]
    assert await kinds(api, staff) == ["offer.expired", "offer.new"]


async def test_quiet_hours_hold_ordinary_mail_until_they_end_but_not_urgent_mail(
        notify, api, as_, publish, mail, clock, db):
    operator = as_("operator")
    await subscribe(api, operator, OPERATOR, quiet_from="08:00:00", quiet_to="17:00:00")  # NOW is 09:00 WIB
    await publish(organization())
    await publish(mou_expiring())
    await publish(offer(organization=BACKBONE, backbone=True))
    [urgent] = await mail_to(mail, OPERATOR, 1)
    assert "penyangga" in urgent["Subject"]
    held = await wait_until(lambda: db.fetchrow(
        "SELECT d.status, d.next_attempt_at FROM deliveries d JOIN notifications n ON n.id = d.notification_id "
        "WHERE n.kind = 'mou.expiring' AND d.next_attempt_at > $1", NOW), what="the ordinary mail held")
    assert held["status"] == "queued" and held["next_attempt_at"] == NOW.replace(hour=10)  # 17:00 WIB
    assert await send_once(notify) == 0

    clock.set(NOW.replace(hour=10))
    expiring = await mail_to(mail, OPERATOR, 2)
    assert expiring[-1]["Subject"] == "MOU PKBM Tunas Harapan berakhir dalam 30 hari"


async def test_an_opt_out_stops_mail_but_not_the_app_and_a_redelivered_event_sends_nothing_twice(
        notify, api, as_, publish, mail, db):
    staff = as_("provider", ORGANIZATION)
    await subscribe(api, staff, STAFF)
    first = await publish(offer())
    await mail_to(mail, STAFF, 1)
    assert await notify.state.bus.deliver(first) is False, "the inbox knows the event"
    await publish(offer(), envelope=first.model_copy())  # the same event again, through NATS
    await publish.handled()
    assert await db.fetchval("SELECT count(*) FROM notifications") == 1

    await subscribe(api, staff, STAFF, opted_out=True)
    await publish(offer())
    await publish.handled()
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 1, "no delivery for an opted-out person"
    assert await kinds(api, staff) == ["offer.new", "offer.new"]
    assert len(mail.to(STAFF)) == 1


async def test_mail_the_server_refuses_is_retried_with_back_off_and_sent_when_it_is_back(
        notify, api, as_, publish, mail, clock, db):
    staff = as_("provider", ORGANIZATION)
    await subscribe(api, staff, STAFF)
    mail.stop()
    await publish(offer())

    async def failed_once():
        return await db.fetchrow("SELECT attempts, last_error, next_attempt_at FROM deliveries WHERE attempts > 0")

    failure = await wait_until(failed_once, timeout=20, what="a failed attempt")
    assert failure["attempts"] == 1 and "Connection" in failure["last_error"]
    assert failure["next_attempt_at"] == NOW + timedelta(seconds=60)
    [listed] = (await api.get("/api/v1/notifications/deliveries", headers=as_("operator"))).json()["items"]
    assert (listed["kind"], listed["recipient_role"], listed["status"], listed["attempts"]) == (
        "offer.new", "provider_staff", "queued", 1) and "Connection" in listed["last_error"]
    assert (await api.get("/api/v1/notifications/deliveries", headers=as_("operator", "52.03"))).json()["items"] == []
    assert (await api.get("/api/v1/notifications/deliveries", headers=staff)).status_code == 403
    mail.start()
    clock.set(NOW + timedelta(seconds=61))
    await mail_to(mail, STAFF, 1)
    row = await wait_until(lambda: db.fetchrow("SELECT status, attempts FROM deliveries WHERE status = 'sent'"),
                           what="the delivery marked sent")
    assert row["attempts"] == 2


async def test_a_flag_waiting_for_a_second_approval_reaches_the_districts_operators_at_once(
        api, as_, publish, mail):
    operator = as_("operator")
    await subscribe(api, operator, OPERATOR, quiet_from="08:00:00", quiet_to="17:00:00")  # urgent: not held
    await subscribe(api, as_("operator", "52.03"), "operator@lombok.example")
    await publish(awaiting_approval())

    [message] = await mail_to(mail, OPERATOR, 1)
    assert message["Subject"] == "[Segera] Persetujuan kedua diperlukan"
    text = message.get_body(("plain",)).get_content()
    assert "Desa Kesilir" in text and "Rumah aman, Bantuan hukum dan pendampingan kasus" in text, text
    assert "/children/00000000-0000-0000-0000-000000000007" in text
    assert await kinds(api, operator) == ["flag.awaiting_approval"]
    assert await kinds(api, as_("operator", "52.03")) == [] and mail.to("operator@lombok.example") == []


async def test_a_desas_cadres_get_the_weekly_count_of_visits_due_and_a_note_when_a_referral_completes(
        api, as_, publish, mail):
    cadre, elsewhere = as_("cadre"), as_("cadre", "35.09.11.2006")
    await subscribe(api, cadre, "kader@kesilir.example")
    await subscribe(api, elsewhere, "kader@tanjungrejo.example")
    await publish(visits_due(due=3, overdue=1))
    await publish(offer(status="completed"))

    received = await mail_to(mail, "kader@kesilir.example", 2)
    [digest] = [message for message in received if "Kunjungan" in message["Subject"]]
    [completed] = [message for message in received if message is not digest]
    assert digest["Subject"] == "Kunjungan minggu ini: Desa Kesilir"
    text = digest.get_body(("plain",)).get_content()
    assert "3 anak di Desa Kesilir perlu dikunjungi sampai hari Minggu, dan 1 kunjungan sudah terlambat." in text
    assert "/children?overdue=true" in text
    assert completed["Subject"] == "Layanan selesai: Kejar Paket A/B/C (kesetaraan)"
    assert sorted(await kinds(api, cadre)) == ["referral.completed", "visits.due"]  # two streams: either first
    assert await kinds(api, elsewhere) == [] and mail.to("kader@tanjungrejo.example") == []


async def test_whatsapp_asked_for_where_no_gateway_is_configured_is_skipped_with_the_reason(
        api, as_, publish, mail, db):
    staff = as_("provider", ORGANIZATION)
    refused = await api.put("/api/v1/notifications/preferences", headers=staff, json={"whatsapp_enabled": True})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "phone"
    bad = await api.put("/api/v1/notifications/preferences", headers=staff, json={"phone": "0812-3456"})
    assert bad.status_code == 422
    await subscribe(api, staff, STAFF, phone="+6281234567890", whatsapp_enabled=True)
    assert (await api.get("/api/v1/notifications/preferences", headers=staff)).json()["phone"] == "+6281234567890"
    await publish(offer())
    await mail_to(mail, STAFF, 1)
    skipped = await wait_until(lambda: db.fetchrow("SELECT status, last_error FROM deliveries "
                                                   "WHERE channel = 'whatsapp' AND status <> 'queued'"),
                               what="the WhatsApp delivery settled")
    assert (skipped["status"], skipped["last_error"]) == ("skipped", "whatsapp is not configured here")


async def test_a_new_delivery_goes_as_soon_as_it_commits_not_at_the_next_sweep(make_settings, issuer, as_, mail,
                                                                               clock, nats_admin):
    settings = await make_settings(NotifySettings, smtp_host=mail.host, smtp_port=mail.port,
                                   delivery_sweep_seconds=3600.0, reminder_sweep_seconds=3600.0)
    app = create_app(settings, verifier=issuer.verifier(), clock=clock)
    async with running(app) as api:
        await subscribe(api, as_("provider", ORGANIZATION), STAFF)  # after the sender's first pass
        publish = Publisher(app, nats_admin)
        await publish(offer())
        await mail_to(mail, STAFF, 1)  # within 20 s, with the hourly sweep: the commit woke the sender


async def test_a_merge_asked_by_a_cadre_reaches_the_districts_operators(api, as_, publish, mail):
    from sprpa_contracts import events as ev
    operator = as_("operator")
    await subscribe(api, operator, OPERATOR)
    child, duplicate = uuid.uuid4(), uuid.uuid4()
    await publish(ev.ChildMergeRequested(child_id=child, duplicate_id=duplicate, village_code="35.09.11.2007"))
    [message] = await mail_to(mail, OPERATOR, 1)
    assert message["Subject"] == "Permintaan penggabungan data"
    assert f"/children/{child}?duplicates=1" in message.get_body(("plain",)).get_content()
    assert await kinds(api, operator) == ["merge.requested"]


async def test_a_transfer_reaches_the_receiving_operators_and_its_answer_the_proposing_ones(api, as_, publish, mail):
    """Issue 24, point 2: Lombok Timur proposes, Jember's operators are told; Jember declines one
    and accepts another, and Lombok Timur's operators hear each answer."""
    from sprpa_contracts import events as ev
    jember, lombok = as_("operator"), as_("operator", "52.03")
    await subscribe(api, jember, OPERATOR)
    await subscribe(api, lombok, "operator@lomboktimur.example")
    child, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for transfer in (first, second):
        await publish(ev.TransferProposed(transfer_id=transfer, child_id=child, village_code="52.03.20.2006",
                                          to_regency_code="35.09", reason="family_moved"))
    proposed = await mail_to(mail, OPERATOR, 2)
    assert {m["Subject"] for m in proposed} == {"Usulan pindah kasus anak"}
    assert "/transfers" in proposed[0].get_body(("plain",)).get_content()
    await publish(ev.TransferDecided(transfer_id=first, child_id=child, village_code="52.03.20.2006",
                                     to_regency_code="35.09", outcome="declined", reason="family_not_found"))
    await publish(ev.ChildTransferred(transfer_id=second, child_id=child, village_code="35.09.11.2007",
                                      from_village_code="52.03.20.2006"))
    answers = await mail_to(mail, "operator@lomboktimur.example", 2)
    bodies = " ".join(m.get_body(("plain",)).get_content() for m in answers)
    assert "Keluarga tidak ditemukan" in bodies and "diterima kabupaten tujuan" in bodies
    assert sorted(await kinds(api, lombok)) == ["transfer.accepted", "transfer.declined"]
    assert await kinds(api, jember) == ["transfer.proposed", "transfer.proposed"]


async def test_an_offer_heard_late_or_unchanged_writes_nothing_and_tells_nobody_again(publish, db):
    """The offer's watch keeps the latest status heard: an older event (out of order across
    subjects) changes nothing, and the same status again makes no second notice."""
    referral = uuid.uuid4()
    await publish(offer(referral), at=NOW)
    await publish(offer(referral, status="accepted"), at=NOW + timedelta(hours=2))
    await publish.handled()
    told = await db.fetchval("SELECT count(*) FROM notifications")
    assert told >= 1

    await publish(offer(referral), at=NOW + timedelta(hours=1))  # older than what is known
    await publish(offer(referral, status="accepted"), at=NOW + timedelta(hours=3))  # nothing moved
    await publish.handled()
    watch = await db.fetchrow("SELECT status, changed_at FROM offer_watches WHERE referral_id = $1", referral)
    assert (watch["status"], watch["changed_at"]) == ("accepted", NOW + timedelta(hours=3))
    assert await db.fetchval("SELECT count(*) FROM notifications") == told
