"""The webhook sender: an app job that POSTs due deliveries, oldest first and, for one endpoint, one
subject at a time (a later event of a referral waits while an earlier one is being retried). A
failure is retried with back-off for `webhook_retry_days`, then given up; an endpoint failing for
`webhook_disable_after_days` is disabled and its kabupaten's operators are told.

Deliveries are claimed with `FOR UPDATE SKIP LOCKED`, so replicas share them; a receiver that
answered 2xx just before a crash gets the event again (at least once: receivers dedupe on
webhook-id, which is the event's id)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from notify import notices
from notify.rules import Notice
from notify.sql import run
from notify.webhooks import guard, signing
from notify.webhooks.router import allows_internal
from sprpa_shared import protect
from sprpa_shared.db import transaction
from sprpa_shared.jobs import woken
from sprpa_shared.observability import get_logger

log = get_logger(__name__)
BATCH = 50
WAKE_CHANNEL = "webhook_deliveries"  # announced by the queue's trigger (migration 0007)
MAX_RESPONSE_BYTES = 64 * 1024

_DUE = text("""
SELECT d.id, d.endpoint_id, d.event_id, d.payload, d.attempts, d.created_at, e.url, e.secret, e.previous_secret,
       e.previous_until, e.failing_since, e.regency_codes
FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND e.status = 'active'
  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                  WHERE p.endpoint_id = d.endpoint_id AND p.subject = d.subject AND p.status = 'pending'
                    AND p.seq < d.seq)
ORDER BY d.seq LIMIT :limit
FOR UPDATE OF d SKIP LOCKED
""")
_DELIVERED = text("""
UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, response_status = :code,
    last_error = NULL, delivered_at = :now WHERE id = :id
""")
_FAILED = text("""
UPDATE webhook_deliveries SET status = CASE WHEN :give_up THEN 'failed' ELSE 'pending' END,
    attempts = attempts + 1, response_status = :code, last_error = :error, next_attempt_at = :next WHERE id = :id
""")
_WORKING = text("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = :id AND failing_since IS NOT NULL")
_FAILING = text("""
UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, :now),
    status = CASE WHEN COALESCE(failing_since, :now) <= :disable_before THEN 'disabled' ELSE status END
WHERE id = :id RETURNING status
""")


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s... at most an hour between tries."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


async def send_once(app: FastAPI) -> int:
    """POST the deliveries due now; how many the receivers took."""
    settings, now = app.state.settings, app.state.clock.now()
    async with transaction(app.state.sessions) as session:
        due = (await run(session, _DUE, {"now": now, "limit": BATCH})).all()
        if not due:
            return 0
        outcomes = await asyncio.gather(*(_post(app.state.webhook_client, row, now, settings) for row in due))
        delivered = 0
        for row, (code, error) in zip(due, outcomes, strict=True):
            if error is None:
                delivered += 1
                await run(session, _DELIVERED, {"id": row.id, "code": code, "now": now})
                await run(session, _WORKING, {"id": row.endpoint_id})
                continue
            give_up = now - row.created_at >= timedelta(days=settings.webhook_retry_days)
            await run(session, _FAILED, {"id": row.id, "code": code, "error": error[:300], "give_up": give_up,
                                          "next": now + backoff(row.attempts + 1)})
            status = (await run(session, _FAILING, {
                "id": row.endpoint_id, "now": now,
                "disable_before": now - timedelta(days=settings.webhook_disable_after_days)})).scalar()
            if status == "disabled":
                await _tell_operators(session, row, now)
        return delivered


async def _post(client: httpx.AsyncClient, row, now: datetime, settings) -> tuple[int | None, str | None]:
    """(the receiver's status code, why it failed or None)."""
    try:
        await guard.check(row.url, allow_internal=allows_internal(settings))
    except guard.Refused as refused:
        return None, str(refused)
    body = json.dumps(row.payload, separators=(",", ":")).encode()
    secrets = [protect.protector().open(row.secret)]
    if row.previous_secret and row.previous_until and row.previous_until > now:
        secrets.append(protect.protector().open(row.previous_secret))
    # The attempt's own moment on the wall clock: receivers reject stale timestamps against theirs.
    headers = signing.headers(secrets, str(row.event_id), int(time.time()), body)
    try:
        async with client.stream("POST", row.url, content=body, headers=headers,
                                 timeout=settings.webhook_timeout_seconds) as response:
            read = 0
            async for chunk in response.aiter_bytes():  # bounded: a receiver cannot make us read a flood
                read += len(chunk)
                if read > MAX_RESPONSE_BYTES:
                    break
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"the receiver answered {response.status_code}"


async def _tell_operators(session, row, now: datetime) -> None:
    host = urlsplit(row.url).hostname or ""
    await notices.write(session, [Notice(
        "webhook.disabled", "operators", regency, "/", f"webhook.disabled:{row.endpoint_id}:{regency}:{now.date()}",
        urgent=True, params={"host": host, "regency_code": regency}) for regency in row.regency_codes], at=now)
    log.warning("webhook endpoint disabled after failing for days", endpoint=str(row.endpoint_id))


async def _send(app: FastAPI) -> None:
    while await send_once(app) >= BATCH:
        pass


# Woken as a delivery is queued (migration 0007's trigger); the sweep finds the retries come due.
_passes = woken(_send, every="webhook_sweep_seconds", what="webhook deliveries", channel=WAKE_CHANNEL)


async def webhook_sender(app: FastAPI) -> None:
    """The app job: one HTTP client for its lifetime. No redirects are followed, so a receiver
    cannot bounce a delivery to an address the guard refused; no proxy from the environment."""
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
        app.state.webhook_client = client
        await _passes(app)
