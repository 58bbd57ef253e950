"""Our directory as HSDS 3.0 documents (pure). The feed carries no capacity and no internal notes.

Ids are ours (UUIDs); ids of parts HSDS wants as objects (service areas, languages, phones,
attributes, taxonomy terms) are UUIDv5 of what they stand for, so they are stable.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date

from providers.mous.models import Mou
from providers.offerings.models import Offering
from providers.organizations.models import Organization
from sprpa_contracts.catalogue import CATALOGUE
from sprpa_contracts.eligibility import MouStatus, MouTerms, status_on

NAMESPACE = uuid.UUID("0f3c2a9e-5b7d-4e61-9c84-2a1d6e0b7f35")
TAXONOMY_ID = uuid.uuid5(NAMESPACE, "taxonomy:sprpa-service-catalogue")
MOU_TERM_ID = uuid.uuid5(NAMESPACE, "term:mou")
LANGUAGES = {"id": "Bahasa Indonesia", "jv": "Basa Jawa", "mad": "Madura", "sas": "Sasak", "en": "English"}
KIND_LABELS = {"government_office": "government office", "uptd_p2tp2a": "UPTD PPA / P2TP2A", "ngo": "NGO",
               "company": "company", "school_pkbm": "school / PKBM", "health_facility": "health facility",
               "legal_aid": "legal aid institute"}


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts)))


def term_id(code: str) -> str:
    return _id("term", code)


def code_of_term(term: str) -> str | None:
    return next((code for code in CATALOGUE if term_id(code) == term), None)


def taxonomy() -> dict:
    return {"id": str(TAXONOMY_ID), "name": "SPRPA remediation service catalogue",
            "description": "Services for children in or at risk of child labour (DOMAIN.md catalogue codes)",
            "uri": "https://sprpa.id/catalogue", "version": "2026.11"}


def taxonomy_term(code: str) -> dict:
    en, id_ = CATALOGUE[code]
    return {"id": term_id(code), "code": code, "name": en, "description": f"{en} ({id_})",
            "taxonomy": taxonomy()["name"], "taxonomy_id": str(TAXONOMY_ID), "language": "en"}


def _attribute(link_id: uuid.UUID, term: dict, value: str | None = None, link_entity: str = "service") -> dict:
    attribute = {"id": _id("attribute", link_id, term["id"], value), "link_id": str(link_id),
                 "taxonomy_term_id": term["id"], "link_type": "service_type" if value is None else "mou",
                 "link_entity": link_entity, "taxonomy_term": term}
    if value is not None:
        attribute["value"] = value
    return attribute


def _mou_term() -> dict:
    return {"id": str(MOU_TERM_ID), "code": "mou", "name": "MOU with the kabupaten",
            "description": "A memorandum of understanding under which the provider takes the kabupaten's referrals"}


def organization_summary(org: Organization) -> dict:
    summary = {"id": str(org.id), "name": org.name,
               "description": f"{KIND_LABELS.get(org.kind, org.kind)} based in kabupaten/kota {org.regency_code}"}
    if org.contacts.get("email"):
        summary["email"] = org.contacts["email"]
    return summary


def organization(org: Organization, services: list[dict] | None = None) -> dict:
    document = organization_summary(org)
    contacts = org.contacts
    if contacts.get("phone"):
        document["phones"] = [{"id": _id("phone", org.id), "organization_id": str(org.id),
                               "number": contacts["phone"]}]
    if contacts.get("person") or contacts.get("email"):
        contact = {"id": _id("contact", org.id), "organization_id": str(org.id)}
        if contacts.get("person"):
            contact["name"] = contacts["person"]
        if contacts.get("email"):
            contact["email"] = contacts["email"]
        document["contacts"] = [contact]
    if services is not None:
        document["services"] = services
    return document


def _mou_terms(mou: Mou) -> MouTerms:
    return MouTerms(regency_code=mou.regency_code, signed_date=mou.signed_date, valid_from=mou.valid_from,
                    valid_until=mou.valid_until, service_categories=frozenset(mou.service_categories),
                    terminated_on=mou.terminated_on)


def service_status(offering: Offering, mous: list[Mou], day: date) -> str:
    """Active while an MOU covers the offering's category in its kabupaten; inactive otherwise."""
    for mou in mous:
        if (mou.regency_code == offering.regency_code and offering.category in mou.service_categories
                and status_on(_mou_terms(mou), day) is MouStatus.ACTIVE):
            return "active"
    return "inactive"


def service_summary(offering: Offering, org: Organization, mous: list[Mou], day: date) -> dict:
    """The one-to-one fields: what /services lists."""
    en, id_ = CATALOGUE[offering.category]
    summary = {
        "id": str(offering.id),
        "organization_id": str(offering.organization_id),
        "name": offering.name,
        "description": f"{en} / {id_}",
        "status": service_status(offering, mous, day),
        "minimum_age": offering.min_age,
        "maximum_age": offering.max_age,
        "last_modified": offering.updated_at.astimezone(UTC).isoformat(),
        "organization": organization_summary(org),
    }
    eligibility = [f"age {offering.min_age}-{offering.max_age}"]
    if offering.sexes:
        eligibility.append("only " + " and ".join(offering.sexes))
    summary["eligibility_description"] = ", ".join(eligibility)
    if offering.schedule:
        summary["schedules"] = [{"id": _id("schedule", offering.id), "service_id": str(offering.id),
                                 "description": offering.schedule}]
    return summary


def service(offering: Offering, org: Organization, mous: list[Mou], day: date, area_names: dict[str, str]) -> dict:
    """The whole service: areas, languages, the catalogue term, and the MOU facts as attributes."""
    document = service_summary(offering, org, mous, day)
    areas = offering.service_area or [offering.regency_code]
    document["service_areas"] = [
        {"id": _id("area", offering.id, code), "service_id": str(offering.id),
         "name": area_names.get(code, code), "extent": code, "extent_type": "kemendagri_region_code"}
        for code in areas
    ]
    document["languages"] = [
        {"id": _id("language", offering.id, code), "service_id": str(offering.id),
         "name": LANGUAGES.get(code, code), "code": code}
        for code in offering.languages
    ]
    attributes = [_attribute(offering.id, taxonomy_term(offering.category))]
    for mou in mous:
        if mou.regency_code == offering.regency_code and offering.category in mou.service_categories:
            state = status_on(_mou_terms(mou), day).value
            attributes.append(_attribute(offering.id, _mou_term(),
                                         f"{mou.number}; {mou.regency_code}; {mou.valid_from.isoformat()}"
                                         f"..{mou.valid_until.isoformat()}; {state}"))
    document["attributes"] = attributes
    return document


def service_at_location(offering_document: dict) -> dict:
    """One per offering, with the offering's id (ids are unique per entity type): we place services by
    area, not by a street location."""
    areas = ", ".join(area["name"] for area in offering_document.get("service_areas", []))
    return {"id": offering_document["id"], "service_id": offering_document["id"],
            "description": f"Delivered across {areas}" if areas else "Delivered in the kabupaten",
            "service": offering_document}


def page(contents: list[dict], *, total: int, page_number: int, per_page: int) -> dict:
    total_pages = max(1, -(-total // per_page))
    return {"total_items": total, "total_pages": total_pages, "page_number": page_number, "size": len(contents),
            "first_page": page_number == 1, "last_page": page_number >= total_pages, "empty": not contents,
            "contents": contents}

