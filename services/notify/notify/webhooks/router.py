"""`/api/v1/webhooks`: an integrating system (an API client with the `integration` role and the
`notify:webhooks` scope) registers the endpoints its kabupaten's events go to, and follows, tests,
pauses and replays their deliveries. A client sees and changes only its own endpoints, and
subscribes only within its own kabupaten."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import text

from notify.sql import page_of, run
from notify.webhooks import guard, signing
from sprpa_contracts.events import BY_TYPE
from sprpa_shared import idempotency, protect
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import BadRequest, Forbidden, NotFound
from sprpa_shared.idempotency import IdempotencyKey
from sprpa_shared.ids import new_id
from sprpa_shared.pagination import Cursor, Limit, Page, decode_cursor

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
SCOPE = "notify:webhooks"
TEST_EVENT = "sprpa.webhook.test.v1"
REGENCY = r"^\d{2}\.\d{2}$"
Status = Literal["active", "paused", "disabled"]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "url": "https://sim.example.go.id/sprpa/events",
        "event_types": ["sprpa.referral.status_changed.v1", "sprpa.gap.recorded.v1"],
        "regency_codes": ["35.09"]}]})

    url: str = Field(max_length=2000, description="where the events are POSTed (https outside dev and test)")
    event_types: list[str] = Field(min_length=1, max_length=50, description="catalogue event types, e.g. "
                                   "sprpa.referral.status_changed.v1 (see the AsyncAPI document)")
    regency_codes: list[Annotated[str, Field(pattern=REGENCY)]] | None = Field(
        default=None, description="kabupaten whose events are sent; default: every kabupaten of the client")

    @model_validator(mode="after")
    def _known_types(self) -> WebhookIn:
        unknown = sorted(set(self.event_types) - set(BY_TYPE))
        if unknown:
            raise ValueError(f"unknown event types: {', '.join(unknown)}")
        return self


class Webhook(BaseModel):
    id: uuid.UUID
    url: str
    event_types: list[str]
    regency_codes: list[str]
    status: Status = Field(description="active; paused (deliveries wait); disabled (failing for days: "
                                       "resume it once the receiver works)")
    failing_since: datetime | None
    created_at: datetime


class WebhookSecret(Webhook):
    secret: str = Field(description="whsec_...: shown once; verify each delivery's webhook-signature with it")


class Delivery(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID = Field(description="the CloudEvent's id, sent as webhook-id (the same on every retry)")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    response_status: int | None
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    replay_of: uuid.UUID | None


class Replay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivery_id: uuid.UUID | None = Field(default=None, description="one delivery to send again")
    since: datetime | None = Field(default=None, description="or every delivery queued from this time...")
    until: datetime | None = Field(default=None, description="...until this time (exclusive; default: all since)")

    @model_validator(mode="after")
    def _one_way(self) -> Replay:
        if (self.delivery_id is None) == (self.since is None):
            raise ValueError("give either delivery_id or since (with an optional until)")
        return self


class Replayed(BaseModel):
    replayed: int


_COLUMNS = "id, url, event_types, regency_codes, status, failing_since, created_at"
_INSERT = text(f"""
INSERT INTO webhook_endpoints (id, owner, regency_codes, url, event_types, secret, created_at, updated_at)
VALUES (:id, :owner, :regencies, :url, :types, :secret, :at, :at) RETURNING {_COLUMNS}
""")
_WITH_SECRET = text(f"SELECT {_COLUMNS}, secret FROM webhook_endpoints WHERE id = :id")
_ONE = text(f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE id = :id AND owner = :owner")
_MINE = text(f"""
SELECT {_COLUMNS} FROM webhook_endpoints
WHERE owner = :owner AND (CAST(:after_at AS timestamptz) IS NULL OR (created_at, id) > (:after_at, :after_id))
ORDER BY created_at, id LIMIT :limit
""")
_SET_STATUS = text(f"""
UPDATE webhook_endpoints SET status = :status, failing_since = CASE WHEN :status = 'active' THEN NULL
    ELSE failing_since END, updated_at = :at
WHERE id = :id AND owner = :owner RETURNING {_COLUMNS}
""")
_ROTATE = text(f"""
UPDATE webhook_endpoints SET previous_secret = secret, previous_until = :until, secret = :secret, updated_at = :at
WHERE id = :id AND owner = :owner RETURNING {_COLUMNS}
""")
_DELETE = text("DELETE FROM webhook_endpoints WHERE id = :id AND owner = :owner RETURNING id")
_DELIVERIES = text("""
SELECT id, event_id, event_type, status, attempts, response_status, last_error, next_attempt_at, created_at,
       delivered_at, replay_of
FROM webhook_deliveries
WHERE endpoint_id = :id AND (CAST(:before_at AS timestamptz) IS NULL OR (created_at, id) < (:before_at, :before_id))
  AND (CAST(:status AS text) IS NULL OR status = :status)
ORDER BY created_at DESC, id DESC LIMIT :limit
""")
_QUEUE = text("""
INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, subject, payload, next_attempt_at, created_at)
VALUES (:id, :endpoint, :event, :type, :subject, CAST(:payload AS jsonb), :at, :at)
""")
_REPLAY = text("""
INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, subject, payload, next_attempt_at, created_at,
                                replay_of)
SELECT gen_random_uuid(), endpoint_id, event_id, event_type, subject, payload, :at, :at, id
FROM webhook_deliveries
WHERE endpoint_id = :endpoint AND replay_of IS NULL
  AND (CAST(:delivery AS uuid) IS NULL OR id = :delivery)
  AND (CAST(:since AS timestamptz) IS NULL OR created_at >= :since)
  AND (CAST(:until AS timestamptz) IS NULL OR created_at < :until)
ORDER BY seq
""")


def _client(principal: Principal) -> None:
    if principal.role is not Role.INTEGRATION:
        raise Forbidden("webhooks are for integrating systems (API clients with the integration role)")


async def _mine(session, principal: Principal, webhook_id: uuid.UUID):
    row = (await run(session, _ONE, {"id": webhook_id, "owner": principal.subject})).first()
    if row is None:
        raise NotFound("no such webhook of yours")
    return row


def _public(row) -> Webhook:
    return Webhook(**row._mapping)


@router.post("", dependencies=[needs(SCOPE)], status_code=201, response_model=WebhookSecret,
             summary="Register an endpoint for events of your kabupaten (its secret is shown once)")
async def register(body: WebhookIn, request: Request, session: SessionDep, principal: PrincipalDep,
                   clock: ClockDep, response: Response, idempotency_key: IdempotencyKey = None) -> WebhookSecret:
    _client(principal)
    regencies = body.regency_codes or list(principal.regency_codes)
    beyond = sorted(set(regencies) - set(principal.regency_codes))
    if beyond or not regencies:
        raise Forbidden(f"outside your kabupaten: {', '.join(beyond) or 'none given'}")
    try:
        await guard.check(body.url, allow_internal=allows_internal(request.app.state.settings))
    except guard.Refused as refused:
        raise BadRequest(str(refused)) from refused

    async def create(new: uuid.UUID) -> WebhookSecret:
        secret = signing.new_secret()
        row = (await run(session, _INSERT, {
            "id": new, "owner": principal.subject, "regencies": sorted(set(regencies)), "url": body.url,
            "types": sorted(set(body.event_types)), "secret": protect.protector().seal(secret),
            "at": clock.now()})).one()
        return WebhookSecret(**row._mapping, secret=secret)

    async def replay(earlier: uuid.UUID) -> WebhookSecret:  # the same caller retrying: the same secret
        row = (await run(session, _WITH_SECRET, {"id": earlier})).one()
        return WebhookSecret(**{**row._mapping, "secret": protect.protector().open(row.secret)})

    created = await idempotency.once(session, response, principal=principal, key=idempotency_key,
                                     route="POST /api/v1/webhooks", body=body, now=clock.now(), create=create,
                                     replay=replay)
    response.headers["Location"] = f"/api/v1/webhooks/{created.id}"
    return created


def allows_internal(settings) -> bool:
    """Receivers on this machine or the local network: only in dev and test, unless the setting says."""
    chosen = settings.webhook_internal_targets
    return settings.environment in ("dev", "test") if chosen is None else chosen


@router.get("", dependencies=[needs(SCOPE)], response_model=Page[Webhook], summary="Your webhook endpoints")
async def listed(session: SessionDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
                 ) -> Page[Webhook]:
    _client(principal)
    after_at, after_id = decode_cursor(cursor) if cursor else (None, None)
    rows = (await run(session, _MINE, {"owner": principal.subject, "after_at": after_at, "after_id": after_id,
                                       "limit": limit + 1})).all()
    return page_of(rows, limit, _public)


@router.get("/{webhook_id}", dependencies=[needs(SCOPE)], response_model=Webhook, summary="One of your endpoints")
async def one(webhook_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Webhook:
    _client(principal)
    return _public(await _mine(session, principal, webhook_id))


@router.delete("/{webhook_id}", dependencies=[needs(SCOPE)], status_code=204, response_class=Response,
               summary="Remove an endpoint and its deliveries")
async def remove(webhook_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    _client(principal)
    if (await run(session, _DELETE, {"id": webhook_id, "owner": principal.subject})).first() is None:
        raise NotFound("no such webhook of yours")
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate", dependencies=[needs(SCOPE)], response_model=WebhookSecret,
             summary="A new secret; the old one stays valid for the grace period (both signatures are sent)")
async def rotate(webhook_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep,
                 clock: ClockDep) -> WebhookSecret:
    _client(principal)
    await _mine(session, principal, webhook_id)
    secret = signing.new_secret()
    hours = request.app.state.settings.webhook_secret_grace_hours
    row = (await run(session, _ROTATE, {"id": webhook_id, "owner": principal.subject, "at": clock.now(),
                                         "until": clock.now() + timedelta(hours=hours),
                                         "secret": protect.protector().seal(secret)})).one()
    return WebhookSecret(**row._mapping, secret=secret)


async def _status(webhook_id, session, principal, clock, status: Status) -> Webhook:
    _client(principal)
    row = (await run(session, _SET_STATUS, {"id": webhook_id, "owner": principal.subject, "status": status,
                                             "at": clock.now()})).first()
    if row is None:
        raise NotFound("no such webhook of yours")
    return _public(row)


@router.post("/{webhook_id}/pause", dependencies=[needs(SCOPE)], response_model=Webhook,
             summary="Hold deliveries (they queue, and go in order on resume)")
async def pause(webhook_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> Webhook:
    return await _status(webhook_id, session, principal, clock, "paused")


@router.post("/{webhook_id}/resume", dependencies=[needs(SCOPE)], response_model=Webhook,
             summary="Send again (also after the endpoint was disabled for failing)")
async def resume(webhook_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> Webhook:
    return await _status(webhook_id, session, principal, clock, "active")


@router.post("/{webhook_id}/test", dependencies=[needs(SCOPE)], status_code=202, response_model=Delivery,
             summary="Queue a test event to the endpoint")
async def send_test(webhook_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, clock: ClockDep
                    ) -> Delivery:
    _client(principal)
    await _mine(session, principal, webhook_id)
    event_id, now = new_id(), clock.now()
    payload = {"specversion": "1.0", "id": str(event_id), "source": "/sprpa/notify", "type": TEST_EVENT,
               "time": now.isoformat(), "subject": str(webhook_id), "datacontenttype": "application/json",
               "data": {"webhook_id": str(webhook_id)}}
    delivery = new_id()
    await run(session, _QUEUE, {"id": delivery, "endpoint": webhook_id, "event": event_id, "type": TEST_EVENT,
                                "subject": str(webhook_id), "payload": json.dumps(payload), "at": now})
    return Delivery(id=delivery, event_id=event_id, event_type=TEST_EVENT, status="pending", attempts=0,
                    response_status=None, last_error=None, next_attempt_at=now, created_at=now, delivered_at=None,
                    replay_of=None)


@router.get("/{webhook_id}/deliveries", dependencies=[needs(SCOPE)], response_model=Page[Delivery],
            summary="The endpoint's deliveries, newest first, with their state and the receiver's answer")
async def deliveries(webhook_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                     status: Literal["pending", "delivered", "failed"] | None = None,
                     limit: Limit = 50, cursor: Cursor = None) -> Page[Delivery]:
    _client(principal)
    await _mine(session, principal, webhook_id)
    before_at, before_id = decode_cursor(cursor) if cursor else (None, None)
    rows = (await run(session, _DELIVERIES, {"id": webhook_id, "before_at": before_at, "before_id": before_id,
                                              "status": status, "limit": limit + 1})).all()
    return page_of(rows, limit, lambda row: Delivery(**row._mapping))


@router.post("/{webhook_id}/replay", dependencies=[needs(SCOPE)], status_code=202, response_model=Replayed,
             summary="Send a delivery, or every delivery of a time range, again (same webhook-id: dedupe on it)")
async def replay(webhook_id: uuid.UUID, body: Replay, session: SessionDep, principal: PrincipalDep,
                 clock: ClockDep) -> Replayed:
    _client(principal)
    await _mine(session, principal, webhook_id)
    now = clock.now()
    result = await run(session, _REPLAY, {"endpoint": webhook_id, "delivery": body.delivery_id, "since": body.since,
                                          "until": body.until, "at": now})
    if body.delivery_id and result.rowcount == 0:
        raise NotFound("no such delivery of this webhook")
    return Replayed(replayed=result.rowcount)

