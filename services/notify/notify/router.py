"""`/api/v1/notifications`: a person's own notifications (the in-app channel), read marks, and the
person's channels and quiet hours. Whoever calls is remembered as their token describes them, so
the service knows who of an audience has which channels without asking another service."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from notify.messages import render
from notify.sql import page_of, run
from sprpa_shared import protect
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import Forbidden, NotFound, ValidationFailed
from sprpa_shared.pagination import Cursor, Limit, Page, decode_cursor

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
# People the loop depends on; analysts and integrating systems get nothing personal (systems: webhooks).
NOTIFIED = (Role.PROVIDER_STAFF, Role.DISTRICT_OPERATOR, Role.VILLAGE_CADRE)


class Notification(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="what happened, e.g. offer.new, offer.reminder.late, gap.recorded")
    title: str
    body: str
    link: str = Field(description="the page that tells the rest, under authorisation")
    urgent: bool
    created_at: datetime
    read: bool


class DeliveryState(BaseModel):
    id: uuid.UUID
    kind: str
    channel: Literal["email", "whatsapp", "sms"]
    recipient_role: str
    status: Literal["queued", "sent", "delivered", "failed", "skipped"] = Field(
        description="delivered: the gateway's receipt said the phone got it (WhatsApp, SMS)")
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None


class UnreadCount(BaseModel):
    unread: int


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Literal["id", "en"] = "id"
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                              description="where email notifications go; null: no email")
    email_enabled: bool = True
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{7,14}$", examples=["+6281234567890"],
                              description="a mobile number in international form, for WhatsApp and SMS")
    whatsapp_enabled: bool = Field(default=False, description="notices by WhatsApp to `phone`")
    sms_enabled: bool = Field(default=False, description="notices by SMS to `phone`")
    quiet_from: time | None = Field(default=None, description="no messages from this time (the kabupaten's time) "
                                    "until quiet_to, apart from urgent ones")
    quiet_to: time | None = None
    digest: Literal["immediate", "daily"] = Field(default="immediate", description="daily: what is not urgent "
                                                  "comes once a day at digest_at, in one message per channel")
    digest_at: time = Field(default=time(7, 0), description="the digest's time of day (the kabupaten's time)")
    opted_out: bool = Field(default=False, description="no email, WhatsApp or SMS at all, whatever else is set "
                            "(in-app stays)")


_REMEMBER = text("""
INSERT INTO subscribers AS s (subject, role, regency_codes, village_code, organization_id, updated_at)
VALUES (:subject, :role, :regencies, :village, :organization, :at)
ON CONFLICT (subject) DO UPDATE SET role = EXCLUDED.role, regency_codes = EXCLUDED.regency_codes,
    village_code = EXCLUDED.village_code, organization_id = EXCLUDED.organization_id, updated_at = EXCLUDED.updated_at
    WHERE (s.role, s.regency_codes, s.village_code, s.organization_id)
          IS DISTINCT FROM (EXCLUDED.role, EXCLUDED.regency_codes, EXCLUDED.village_code, EXCLUDED.organization_id)
""")
# The notifications of the caller's audiences: their organisation's, their kabupaten's (operators),
# their desa's (cadres).
_MINE = """
FROM notifications n
LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.subject = :subject
WHERE CASE n.audience
    WHEN 'organization' THEN :role = 'provider_staff' AND n.organization_id = :organization
    WHEN 'operators' THEN :role = 'district_operator' AND n.regency_code = ANY (:regencies)
    WHEN 'cadres' THEN :role = 'village_cadre' AND n.village_code = :village
END
"""
_LIST = text(f"""
SELECT n.id, n.kind, n.params, n.link, n.urgent, n.created_at, r.read_at IS NOT NULL AS read {_MINE}
  AND (NOT :unread_only OR r.read_at IS NULL)
  AND (CAST(:before_at AS timestamptz) IS NULL OR (n.created_at, n.id) < (:before_at, :before_id))
ORDER BY n.created_at DESC, n.id DESC LIMIT :limit
""")
_UNREAD = text(f"SELECT count(*) {_MINE} AND r.read_at IS NULL")
_ONE = text(f"SELECT n.id {_MINE} AND n.id = :id")
_READ = text("""
INSERT INTO notification_reads (notification_id, subject, read_at) VALUES (:id, :subject, :at)
ON CONFLICT DO NOTHING
""")
_READ_ALL = text(f"""
INSERT INTO notification_reads (notification_id, subject, read_at)
SELECT n.id, :subject, :at {_MINE} AND r.read_at IS NULL
ON CONFLICT DO NOTHING
""")
_PREFERENCES = text("""
SELECT language, email, email_enabled, phone, whatsapp_enabled, sms_enabled, quiet_from, quiet_to, digest, digest_at,
       opted_out
FROM subscribers WHERE subject = :subject
""")
_SET_PREFERENCES = text("""
UPDATE subscribers SET language = :language, email = :email, email_enabled = :email_enabled, phone = :phone,
    whatsapp_enabled = :whatsapp_enabled, sms_enabled = :sms_enabled, quiet_from = :quiet_from, quiet_to = :quiet_to,
    digest = :digest, digest_at = :digest_at, opted_out = :opted_out, updated_at = :at
WHERE subject = :subject
""")


_DELIVERIES = text("""
SELECT d.id, n.kind, d.channel, s.role AS recipient_role, d.status, d.attempts, d.last_error, d.next_attempt_at,
       d.created_at, d.sent_at
FROM deliveries d JOIN notifications n ON n.id = d.notification_id JOIN subscribers s ON s.subject = d.subject
WHERE (:all_places OR d.regency_code = ANY (:regencies))
  AND (CAST(:status AS text) IS NULL OR d.status = :status)
  AND (CAST(:before_at AS timestamptz) IS NULL OR (d.created_at, d.id) < (:before_at, :before_id))
ORDER BY d.created_at DESC, d.id DESC LIMIT :limit
""")


def _who(principal: Principal) -> dict[str, Any]:
    if principal.role not in NOTIFIED:
        raise Forbidden(f"the {principal.role.value} role gets no notifications")
    return {"subject": principal.subject, "role": principal.role.value,
            "regencies": list(principal.regency_codes), "village": principal.village_code,
            "organization": principal.organization_id}


async def _remember(session, principal: Principal, at: datetime) -> dict[str, Any]:
    who = _who(principal)
    await run(session, _REMEMBER, {**who, "at": at})
    return who


async def _language(session, subject: str) -> str:
    return (await run(session, _PREFERENCES, {"subject": subject})).first().language


@router.get("", dependencies=[needs(None)], response_model=Page[Notification],
            summary="Your notifications, newest first, in your language")
async def notifications(session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                        unread: Annotated[bool, Query(description="only the unread ones")] = False,
                        limit: Limit = 50, cursor: Cursor = None) -> Page[Notification]:
    who = await _remember(session, principal, clock.now())
    language = await _language(session, principal.subject)
    before_at, before_id = decode_cursor(cursor) if cursor else (None, None)
    rows = (await run(session, _LIST, {**who, "unread_only": unread, "before_at": before_at,
                                          "before_id": before_id, "limit": limit + 1})).all()

    def item(row) -> Notification:
        message = render(row.kind, row.params, language)
        return Notification(id=row.id, kind=row.kind, title=message.title, body=message.body, link=row.link,
                            urgent=row.urgent, created_at=row.created_at, read=row.read)

    return page_of(rows, limit, item)


@router.get("/deliveries", dependencies=[needs(None)], response_model=Page[DeliveryState],
            summary="Deliveries to the people of your kabupaten, newest first (failed ones: status=failed)")
async def deliveries(session: SessionDep, principal: PrincipalDep,
                     status: Literal["queued", "sent", "failed", "skipped"] | None = None,
                     limit: Limit = 50, cursor: Cursor = None) -> Page[DeliveryState]:
    if principal.role not in (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN):
        raise Forbidden("the district's deliveries are for its operators")
    before_at, before_id = decode_cursor(cursor) if cursor else (None, None)
    rows = (await run(session, _DELIVERIES, {
        "all_places": principal.role is Role.NATIONAL_ADMIN, "regencies": list(principal.regency_codes),
        "status": status, "before_at": before_at, "before_id": before_id, "limit": limit + 1})).all()
    return page_of(rows, limit, lambda row: DeliveryState(**row._mapping))


@router.get("/unread", dependencies=[needs(None)], response_model=UnreadCount,
            summary="How many of your notifications are unread (the bell's count)")
async def unread_count(session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> UnreadCount:
    who = await _remember(session, principal, clock.now())
    return UnreadCount(unread=(await run(session, _UNREAD, who)).scalar_one())


@router.post("/read", dependencies=[needs(None)], status_code=204, response_class=Response,
             summary="Mark every notification of yours read")
async def read_all(session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> Response:
    who = await _remember(session, principal, clock.now())
    await run(session, _READ_ALL, {**who, "at": clock.now()})
    return Response(status_code=204)


@router.post("/{notification_id}/read", dependencies=[needs(None)], status_code=204, response_class=Response,
             summary="Mark one of your notifications read")
async def read_one(notification_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                   clock: ClockDep) -> Response:
    who = await _remember(session, principal, clock.now())
    if (await run(session, _ONE, {**who, "id": notification_id})).first() is None:
        raise NotFound("no such notification of yours")
    await run(session, _READ, {"id": notification_id, "subject": principal.subject, "at": clock.now()})
    return Response(status_code=204)


@router.get("/preferences", dependencies=[needs(None)], response_model=Preferences,
            summary="Your channels (email, WhatsApp, SMS), language, quiet hours and digest")
async def preferences(session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> Preferences:
    await _remember(session, principal, clock.now())
    row = (await run(session, _PREFERENCES, {"subject": principal.subject})).one()
    sealed = protect.protector()
    return Preferences(**{**row._mapping, "email": sealed.open(row.email), "phone": sealed.open(row.phone)})


@router.put("/preferences", dependencies=[needs(None)], response_model=Preferences,
            summary="Set your channels, language, quiet hours and digest (the whole set)")
async def set_preferences(body: Preferences, session: SessionDep, principal: PrincipalDep,
                          clock: ClockDep) -> Preferences:
    await _remember(session, principal, clock.now())
    if (body.whatsapp_enabled or body.sms_enabled) and not body.phone:
        raise ValidationFailed("WhatsApp and SMS need a phone number", field="phone")
    sealed = protect.protector()
    await run(session, _SET_PREFERENCES, {**body.model_dump(), "email": sealed.seal(body.email),
                                             "phone": sealed.seal(body.phone), "subject": principal.subject,
                                             "at": clock.now()})
    return body
