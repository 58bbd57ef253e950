"""The app's two jobs: the SLA reminders of unanswered offers, and the sending of due deliveries
over each channel.

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
from notify.channels.gateways import SmsChannel, WhatsAppChannel
from notify.messages import DIGEST_KIND, URGENT_PREFIX, render, template_name, template_parameters
from notify.rules import Notice, in_quiet_hours, next_digest, reminder_due, retry_after, zone_for
from notify.sql import run
from sprpa_shared import protect
from sprpa_shared.db import transaction
from sprpa_shared.jobs import periodic, woken
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
SELECT d.id, d.channel, d.attempts, d.subject, d.digest, n.kind, n.params, n.link, n.urgent, n.regency_code,
       s.email, s.phone, s.email_enabled, s.whatsapp_enabled, s.sms_enabled, s.opted_out, s.language,
       s.quiet_from, s.quiet_to, s.digest AS digest_mode, s.digest_at
FROM deliveries d JOIN notifications n ON n.id = d.notification_id JOIN subscribers s ON s.subject = d.subject
WHERE d.status = 'queued' AND d.next_attempt_at <= :now
ORDER BY d.next_attempt_at, d.created_at LIMIT :limit
FOR UPDATE OF d SKIP LOCKED
""")
# Messages, not deliveries: a digest is one message for all of its deliveries (one gateway id).
_SENT_LAST_HOUR = text("""
SELECT count(DISTINCT coalesce(external_id, id::text)), min(sent_at) FROM deliveries
WHERE subject = :subject AND channel = :channel AND sent_at > :since
""")
_DONE = text("""
UPDATE deliveries SET status = :status, attempts = attempts + :tried, sent_at = :sent_at, last_error = :error,
    external_id = :external
WHERE id = ANY (:ids)
""")
_LATER = text("""
UPDATE deliveries SET attempts = attempts + :tried, next_attempt_at = :at, last_error = :error, digest = :digest
WHERE id = ANY (:ids)
""")
_OFF = {"email": "the person turned email off", "whatsapp": "the person turned WhatsApp off",
        "sms": "the person turned SMS off"}


async def send_once(app: FastAPI) -> int:
    """Send the deliveries due now, each channel through its adapter; how many messages were sent.

    A person on the daily digest gets what is not urgent at their digest hour, in one message per
    channel; quiet hours hold what is not urgent until they end; the hourly limit holds the rest."""
    settings, available = app.state.settings, app.state.channels
    now = app.state.clock.now()
    sent = 0
    async with transaction(app.state.sessions) as session:
        messages: dict[tuple[str, str], list] = {}
        for due in (await run(session, _DUE, {"now": now, "limit": BATCH})).all():
            if due.opted_out or _address(due) is None:
                await _mark(session, [due], "skipped", tried=0, error=_OFF[due.channel])
            elif due.channel not in available:
                await _mark(session, [due], "skipped", tried=0, error=f"{due.channel} is not configured here")
            elif not due.urgent and due.digest_mode == "daily" and not due.digest:
                zone = zone_for(due.regency_code)
                await _later(session, [due], next_digest(now, due.digest_at, zone), digest=True)
            elif not due.urgent and not due.digest and (quiet := in_quiet_hours(
                    now, due.quiet_from, due.quiet_to, zone_for(due.regency_code))):
                await _later(session, [due], quiet)
            else:  # a digest's deliveries go together; anything else alone
                key = (due.subject, due.channel) if due.digest else (str(due.id), due.channel)
                messages.setdefault(key, []).append(due)
        for rows in messages.values():
            sent += await _send(session, available[rows[0].channel], rows, now, settings)
    return sent


async def _send(session, channel, rows: list, now: datetime, settings) -> int:
    first = rows[0]
    limit = settings.email_per_hour if first.channel == "email" else settings.messages_per_hour
    count, oldest = (await run(session, _SENT_LAST_HOUR, {
        "subject": first.subject, "channel": first.channel, "since": now - timedelta(hours=1)})).one()
    if count >= limit:
        await _later(session, rows, oldest + timedelta(hours=1))
        return 0
    try:
        external = await channel.send(outgoing(settings.web_url, rows, protect.protector().open(_address(first))))
    except DeliveryFailed as failure:
        await _failed(session, rows, now, str(failure), settings)
        return 0
    await _mark(session, rows, "sent", tried=1, at=now, external=external)
    return 1


def _address(due) -> str | None:
    if due.channel == "email":
        return due.email if due.email_enabled else None
    wanted = due.whatsapp_enabled if due.channel == "whatsapp" else due.sms_enabled
    return due.phone if wanted else None


async def _mark(session, rows: list, status: str, *, tried: int, at: datetime | None = None,
                error: str | None = None, external: str | None = None) -> None:
    await run(session, _DONE, {"ids": [row.id for row in rows], "status": status, "tried": tried, "sent_at": at,
                               "error": error, "external": external})


async def _later(session, rows: list, at: datetime, *, tried: int = 0, error: str | None = None,
                 digest: bool | None = None) -> None:
    await run(session, _LATER, {"ids": [row.id for row in rows], "tried": tried, "at": at, "error": error,
                                "digest": rows[0].digest if digest is None else digest})


async def _failed(session, rows: list, now: datetime, reason: str, settings) -> None:
    tried = max(row.attempts for row in rows) + 1
    if tried >= settings.delivery_max_attempts:
        await _mark(session, rows, "failed", tried=1, error=reason)
        log.warning("delivery given up", channel=rows[0].channel, deliveries=len(rows), attempts=tried)
        return
    await _later(session, rows, now + retry_after(tried, settings.retry_first_seconds), tried=1, error=reason)


def outgoing(web_url: str, rows: list, address: str) -> Outgoing:
    """One message of one or more deliveries of a person on one channel: a notice alone, or the
    notices held for their digest in one."""
    first, base = rows[0], web_url.rstrip("/")
    language = first.language
    if len(rows) == 1:
        kind, params, link = first.kind, first.params, base + first.link
        message = render(kind, params, language)
        subject = (URGENT_PREFIX[language == "en"] if first.urgent else "") + message.title
        items = [(message, link)]
    else:
        kind, params, link = DIGEST_KIND, {"count": len(rows)}, base + "/notifications"
        message = render(kind, params, language)
        subject = message.title
        items = [(render(row.kind, row.params, language), base + row.link) for row in rows]
    footer = "Baca selengkapnya (perlu masuk):" if language == "id" else "Read the rest (sign in first):"
    text_parts = [message.body] if len(rows) > 1 else []
    text_parts += [f"{item.title}\n{item.body}\n{footer} {item_link}" if len(rows) > 1
                   else f"{item.body}\n\n{footer} {item_link}" for item, item_link in items]
    html_parts = [f"<p>{html.escape(message.body)}</p>"] if len(rows) > 1 else []
    html_parts += [(f"<h3>{html.escape(item.title)}</h3>" if len(rows) > 1 else "")
                   + f"<p>{html.escape(item.body)}</p><p>{html.escape(footer)} "
                   f'<a href="{html.escape(item_link)}">{html.escape(item_link)}</a></p>' for item, item_link in items]
    return Outgoing(
        to=address, language=language, subject=subject, link=link,
        unsubscribe=base + "/notifications/settings",
        text="\n\n".join(text_parts) + "\n", html="".join(html_parts),
        template=template_name(kind), parameters=template_parameters(kind, params, language, link),
        short=f"SPRPA: {subject}. {link}")


async def _remind(app: FastAPI) -> None:
    if written := await remind_once(app):
        log.info("offer reminders written", count=written)


async def _send_all(app: FastAPI) -> None:
    while (sent := await send_once(app)) >= BATCH:
        pass
    del sent


reminders = periodic(_remind, every="reminder_sweep_seconds", what="offer reminders")
deliveries = woken(_send_all, every="delivery_sweep_seconds", what="deliveries", channel=notices.WAKE_CHANNEL)


def channels(settings) -> dict:
    """The channels configured here: email with an SMTP host, WhatsApp and SMS with their gateways."""
    made = {"email": EmailChannel(settings)} if settings.smtp_host else {}
    for adapter in (WhatsAppChannel, SmsChannel):
        if adapter.configured(settings):
            made[adapter.name] = adapter(settings)
    return made
