"""Import organisations and services published by another directory in HSDS 3.0.

Services land as offerings only when their taxonomy terms name one of our catalogue codes
(directly, by our term ids, or through the caller's `category_map`), with ages clamped to
childhood and capacity 0 until the provider sets it. Re-importing adds nothing twice.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from providers.hsds.mapping import code_of_term
from providers.offerings import service as offerings
from providers.offerings.models import Offering
from providers.offerings.schemas import OfferingCreate
from providers.organizations import service as organizations
from providers.organizations.models import Organization
from providers.organizations.schemas import REGENCY_CODE, Contacts, Kind, OrganizationCreate
from sprpa_contracts.catalogue import SERVICE_CODES
from sprpa_shared.auth.principal import Principal
from sprpa_shared.regions import normalise

PHONE = re.compile(r"^\+?[0-9 ()-]{6,40}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")


class HsdsImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regency_code: str = Field(pattern=REGENCY_CODE, description="the kabupaten the imported providers serve")
    kind: Kind = Kind.NGO
    organizations: list[dict[str, Any]] = Field(min_length=1, max_length=500,
                                                description="HSDS 3.0 organization documents with their services")
    category_map: dict[str, str] = Field(default_factory=dict,
                                         description="foreign taxonomy term code or name -> our catalogue code")

    @field_validator("category_map")
    @classmethod
    def _ours(cls, mapping: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(mapping.values()) - SERVICE_CODES)
        if unknown:
            raise ValueError(f"unknown service catalogue code(s): {', '.join(unknown)}")
        return mapping


def category_of(service: dict, category_map: dict[str, str]) -> str | None:
    for attribute in service.get("attributes") or []:
        term = attribute.get("taxonomy_term") or {}
        for candidate in (term.get("code"), code_of_term(str(term.get("id", ""))),
                          category_map.get(term.get("code") or ""), category_map.get(term.get("name") or "")):
            if candidate in SERVICE_CODES:
                return candidate
    return None


def _contacts(document: dict) -> Contacts:
    phone = next((p.get("number") for p in document.get("phones") or [] if PHONE.match(str(p.get("number")))), None)
    person = next((c.get("name") for c in document.get("contacts") or [] if c.get("name")), None)
    email = document.get("email") if EMAIL.match(str(document.get("email") or "")) else None
    return Contacts(person=person[:200] if person else None, phone=phone, email=email)


async def import_directory(session: AsyncSession, *, data: HsdsImport, principal: Principal, now: datetime) -> dict:
    report: dict[str, Any] = {"organizations_created": 0, "organizations_matched": 0, "services_created": 0,
                              "skipped": []}
    for document in data.organizations:
        name = str(document.get("name") or "").strip()
        if len(name) < 2:
            report["skipped"].append({"organization": document.get("id"), "reason": "no_name"})
            continue
        org = (await session.exec(select(Organization).where(
            Organization.regency_code == data.regency_code, Organization.name_key == normalise(name)))).first()
        if org is None:
            new = OrganizationCreate(name=name[:200], kind=data.kind, regency_code=data.regency_code,
                                     contacts=_contacts(document))
            org = await organizations.create_organization(session, principal=principal, now=now, data=new)
            report["organizations_created"] += 1
        else:
            report["organizations_matched"] += 1
        for service in document.get("services") or []:
            reason = await _import_service(session, org=org, service=service, data=data, principal=principal, now=now)
            if reason:
                report["skipped"].append({"service": service.get("name"), "reason": reason})
            else:
                report["services_created"] += 1
    return report


async def _import_service(session: AsyncSession, *, org: Organization, service: dict, data: HsdsImport,
                          principal: Principal, now: datetime) -> str | None:
    """None when the service became an offering; otherwise why not."""
    name = str(service.get("name") or "").strip()
    category = category_of(service, data.category_map)
    if category is None:
        return "no_catalogue_code"
    min_age = int(service.get("minimum_age") or 0)
    max_age = min(int(service.get("maximum_age") or 17), 17)
    if min_age > 17 or len(name) < 2:
        return "not_for_children" if min_age > 17 else "no_name"
    existing = (await session.exec(select(Offering).where(
        Offering.organization_id == org.id, Offering.name == name[:200], Offering.category == category))).first()
    if existing is not None:
        return "already_imported"
    areas = sorted({str(a.get("extent")) for a in service.get("service_areas") or []
                    if str(a.get("extent", "")).startswith(data.regency_code + ".")})
    languages = sorted({str(lang.get("code")) for lang in service.get("languages") or []
                        if LANGUAGE.match(str(lang.get("code") or ""))}) or ["id"]
    await offerings.create(session, principal=principal, now=now, data=OfferingCreate(
        organization_id=org.id, category=category, name=name[:200], regency_code=data.regency_code,
        service_area=areas, min_age=max(min_age, 0), max_age=max(max_age, max(min_age, 0)), capacity=0,
        languages=languages, course_type="other" if category == "skills.vocational_course" else None))
    return None
