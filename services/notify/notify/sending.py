"""The app's two jobs: the SLA reminders of unanswered offers, and the sending of due deliveries.

Both claim their rows with `FOR UPDATE SKIP LOCKED`, so every replica runs them and none sends a
thing twice. A delivery is at least once: if the process dies after the SMTP server took the mail
and before the commit, the mail goes again on the next pass.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import text

from notify import notices
from notify.channels import DeliveryFailed, Outgoing
from notify.channels.email import EmailChannel
from notify.messages import URGENT_PREFIX, render
from notify.rules import Notice, in_quiet_hours, reminder_due, retry_after, zone_for
from notify.sql import run
from sprpa_shared import protect
from sprpa_shared.db import transaction
from sprpa_shared.jobs import periodic
from sprpa_shared.observability import get_logger

log = get_logger(__name__)
BATCH = 100

_OPEN_OFFERS = text("""
SELECT referral_id, organization_id, village_code, regency_code, need, backbone, offered_at, deadline, reminded
FROM offer_watches
WHERE status = 'offered' AND offered_at IS NOT NULL AND deadline > :now AND NOT ('late' = ANY (reminded))
  AND offered_at + (deadline - offered_at) / 2 <= :now
ORDER BY deadline LIMIT :limit FOR UPDATE SKIP LOCKED
""")
_REMINDED = text("UPDATE offer_watches SET reminded = :reminded WHERE referral_id = :referral")


async def remind_once(app: FastAPI) -> int:
    """Write the reminders due now; how many."""
    now = app.state.clock.now()
    sent = 0
    async with transaction(app.state.sessions) as session:
        for offer in (await run(session, _OPEN_OFFERS, {"now": now, "limit": BATCH})).all():
            due = reminder_due(offer.offered_at, offer.deadline, now, set(offer.reminded))
            if not due:
                continue
            name, urgent = due[0]
            sent += await notices.write(session, [Notice(
                f"offer.reminder.{name}", "organization", offer.regency_code, f"/inbox/{offer.referral_id}",
                f"reminder.{name}:{offer.referral_id}", organization_id=offer.organization_id,
                village_code=offer.village_code, urgent=urgent or offer.backbone,
                params={"service": offer.need, "village_code": offer.village_code,
                        "deadline": offer.deadline.isoformat(), "referral_id": str(offer.referral_id)})], at=now)
            reminded = sorted({*offer.reminded, "half", name})  # a late reminder makes the half one moot
            await run(session, _REMINDED, {"reminded": reminded, "referral": offer.referral_id})
    return sent


_DUE = text("""
SELECT d.id, d.attempts, d.subject, n.kind, n.params, n.link, n.urgent, n.regency_code,
       s.email, s.email_enabled, s.opted_out, s.language, s.quiet_from, s.quiet_to
FROM deliveries d JOIN notifications n ON n.id = d.notification_id JOIN subscribers s ON s.subject = d.subject
WHERE d.status = 'queued' AND d.next_attempt_at <= :now
ORDER BY d.next_attempt_at LIMIT :limit
FOR UPDATE OF d SKIP LOCKED
""")
_SENT_LAST_HOUR = text("""
SELECT count(*), min(sent_at) FROM deliveries
WHERE subject = :subject AND channel = 'email' AND status = 'sent' AND sent_at > :since
""")
_DONE = text("""
UPDATE deliveries SET status = :status, attempts = attempts + :tried, sent_at = :sent_at, last_error = :error
WHERE id = :id
""")
_LATER = text("""
UPDATE deliveries SET attempts = attempts + :tried, next_attempt_at = :at, last_error = :error WHERE id = :id
""")


async def send_once(app: FastAPI) -> int:
    """Send the deliveries due now; how many were sent."""
    settings = app.state.settings
    if not settings.smtp_host:
        return 0
    channel = app.state.channels["email"]
    now = app.state.clock.now()
    sent = 0
    async with transaction(app.state.sessions) as session:
        for due in (await run(session, _DUE, {"now": now, "limit": BATCH})).all():
            if due.opted_out or not due.email_enabled or not due.email:
                await run(session, _DONE, {"id": due.id, "status": "skipped", "tried": 0, "sent_at": None,
                                              "error": "the person turned email off"})
                continue
            quiet_until = None if due.urgent else in_quiet_hours(now, due.quiet_from, due.quiet_to,
                                                                   zone_for(due.regency_code))
            if quiet_until:
                await run(session, _LATER, {"id": due.id, "tried": 0, "at": quiet_until, "error": None})
                continue
            count, oldest = (await run(session, _SENT_LAST_HOUR, {
                "subject": due.subject, "since": now - timedelta(hours=1)})).one()
            if count >= settings.email_per_hour:
                await run(session, _LATER, {"id": due.id, "tried": 0, "at": oldest + timedelta(hours=1),
                                               "error": None})
                continue
            try:
                await channel.send(outgoing(settings.web_url, due, protect.protector().open(due.email)))
            except DeliveryFailed as failure:
                await _failed(session, due, now, str(failure), settings)
                continue
            await run(session, _DONE, {"id": due.id, "status": "sent", "tried": 1, "sent_at": now, "error": None})
            sent += 1
    return sent


async def _failed(session, due, now: datetime, reason: str, settings) -> None:
    tried = due.attempts + 1
    if tried >= settings.delivery_max_attempts:
        await run(session, _DONE, {"id": due.id, "status": "failed", "tried": 1, "sent_at": None,
                                      "error": reason})
        log.warning("delivery given up", delivery=str(due.id), attempts=tried)
        return
    await run(session, _LATER, {"id": due.id, "tried": 1, "error": reason,
                                   "at": now + retry_after(tried, settings.retry_first_seconds)})


def outgoing(web_url: str, due, address: str) -> Outgoing:
    message = render(due.kind, due.params, due.language)
    link = web_url.rstrip("/") + due.link
    subject = (URGENT_PREFIX[due.language == "en"] if due.urgent else "") + message.title
    footer = ("Baca selengkapnya (perlu masuk):" if due.language == "id" else "Read the rest (sign in first):")
    return Outgoing(
        to=address, language=due.language, subject=subject, link=link,
        unsubscribe=web_url.rstrip("/") + "/notifications/settings",
        text=f"{message.body}\n\n{footer} {link}\n",
        html=(f"<p>{html.escape(message.body)}</p><p>{html.escape(footer)} "
              f'<a href="{html.escape(link)}">{html.escape(link)}</a></p>'))


async def _remind(app: FastAPI) -> None:
    if written := await remind_once(app):
        log.info("offer reminders written", count=written)


async def _send(app: FastAPI) -> None:
    while (sent := await send_once(app)) >= BATCH:
        pass
    del sent


reminders = periodic(_remind, every="reminder_sweep_seconds", what="offer reminders")
deliveries = periodic(_send, every="delivery_sweep_seconds", what="email deliveries")


def channels(settings) -> dict:
    return {"email": EmailChannel(settings)}
