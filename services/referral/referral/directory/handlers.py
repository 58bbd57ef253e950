"""Consumers of the providers' events: upserts that keep only the newest state.

Each runs in the inbox transaction (one effect per event). Organisations and offerings carry a
version, so an older event arriving after a newer one changes nothing; MOUs carry the time of
the change.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_contracts.events import MouChanged, OfferingChanged, OrganizationUpserted
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.events.replay import replay
from sprpa_shared.events.streams import ConsumerSpec
from sprpa_shared.settings import ServiceSettings

_ORGANIZATION = text("""
INSERT INTO replica_organizations (id, regency_code, kind, backbone_for, version)
VALUES (:id, :regency, :kind, :backbone, :version)
ON CONFLICT (id) DO UPDATE SET regency_code = EXCLUDED.regency_code, kind = EXCLUDED.kind,
    backbone_for = EXCLUDED.backbone_for, version = EXCLUDED.version
WHERE replica_organizations.version < EXCLUDED.version
""")
_MOU = text("""
INSERT INTO replica_mous (id, organization_id, regency_code, signed_date, valid_from, valid_until, terminated_on,
                          service_categories, changed_at)
VALUES (:id, :org, :regency, :signed, :valid_from, :valid_until, :terminated, :categories, :at)
ON CONFLICT (id) DO UPDATE SET signed_date = EXCLUDED.signed_date, valid_from = EXCLUDED.valid_from,
    valid_until = EXCLUDED.valid_until, terminated_on = EXCLUDED.terminated_on,
    service_categories = EXCLUDED.service_categories, changed_at = EXCLUDED.changed_at
WHERE replica_mous.changed_at <= EXCLUDED.changed_at
""")
_OFFERING = text("""
INSERT INTO replica_offerings (id, organization_id, regency_code, category, service_area, min_age, max_age, sexes,
                               capacity, course_type, languages, removed, version)
VALUES (:id, :org, :regency, :category, :area, :min_age, :max_age, :sexes, :capacity, :course, :languages, :removed,
        :version)
ON CONFLICT (id) DO UPDATE SET category = EXCLUDED.category, service_area = EXCLUDED.service_area,
    min_age = EXCLUDED.min_age, max_age = EXCLUDED.max_age, sexes = EXCLUDED.sexes, capacity = EXCLUDED.capacity,
    course_type = EXCLUDED.course_type, languages = EXCLUDED.languages, removed = EXCLUDED.removed,
    version = EXCLUDED.version
WHERE replica_offerings.version < EXCLUDED.version
""")


async def _run(session: AsyncSession, statement, params: dict) -> None:
    await (await session.connection()).execute(statement, params)


async def on_organization(session: AsyncSession, event: OrganizationUpserted, envelope: Envelope) -> None:
    await _run(session, _ORGANIZATION, {"id": event.organization_id, "regency": event.regency_code,
                                        "kind": event.kind, "backbone": event.backbone_for, "version": event.version})


async def on_mou(session: AsyncSession, event: MouChanged, envelope: Envelope) -> None:
    await _run(session, _MOU, {"id": event.mou_id, "org": event.organization_id, "regency": event.regency_code,
                               "signed": event.signed_date, "valid_from": event.valid_from,
                               "valid_until": event.valid_until, "terminated": event.terminated_on,
                               "categories": event.service_categories, "at": envelope.time})


async def on_offering(session: AsyncSession, event: OfferingChanged, envelope: Envelope) -> None:
    await _run(session, _OFFERING, {"id": event.offering_id, "org": event.organization_id,
                                    "regency": event.regency_code, "category": event.category,
                                    "area": event.service_area, "min_age": event.min_age, "max_age": event.max_age,
                                    "sexes": event.sexes, "capacity": event.capacity, "course": event.course_type,
                                    "languages": event.languages, "removed": event.removed, "version": event.version})


HANDLERS = {OrganizationUpserted: on_organization, MouChanged: on_mou, OfferingChanged: on_offering}


REPLICA_TABLES = ("replica_organizations", "replica_mous", "replica_offerings")


def directory_consumer(settings: ServiceSettings) -> ConsumerSpec:
    """The directory's consumer (the rebuild replays it): the subjects of the events it handles."""
    return settings.consumer(name="directory", stream="PROVIDERS",
                             subjects=sorted(model.subject_filter() for model in HANDLERS))


async def rebuild(settings: ServiceSettings) -> None:
    """`python -m referral rebuild-directory`: replay the providers' stream into an empty replica."""
    await replay(settings, tables=REPLICA_TABLES, consumers=[directory_consumer(settings)])
