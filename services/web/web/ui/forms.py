"""From a posted form to the JSON a service takes. Fields are named as the service names them
(`work.hours_per_day`, `consent.given_by`), so a service's error lands beside its own field.

No rule lives here: empty fields are left out and everything else goes as typed, for the service
to accept or explain.
"""

from __future__ import annotations

from starlette.datastructures import FormData


def typed(form: FormData) -> dict:
    """What was typed, to fill the form again when the service refused it (nothing entered is lost)."""
    return {key: form.getlist(key) if len(form.getlist(key)) > 1 else form.get(key)
            for key in form.keys() if key not in ("csrf", "file")}


def from_child(child: dict) -> dict:
    """A child's record as the assessment form's fields, so an assessment starts from what is known."""
    work_facts = child.get("work") or {}
    return {
        "school_status": child.get("school_status"), "living_arrangement": child.get("living_arrangement"),
        "mapping_categories": child.get("mapping_categories") or [], "root_causes": child.get("root_causes") or [],
        "works": "on" if work_facts else None,
        **{f"work.{key}": ("on" if value is True else None if value is False else value)
           for key, value in work_facts.items()},
    }


def if_match(form: FormData) -> dict[str, str] | None:
    """The If-Match of the version the form was shown with (its hidden `version`), so that a change
    made meanwhile is a 412 instead of being overwritten; None when the form carries none."""
    version = str(form.get("version", "")).strip()
    return {"If-Match": f'"{version}"'} if version.isdigit() else None


def text(form: FormData, name: str) -> str | None:
    value = str(form.get(name, "")).strip()
    return value or None


def flag(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "yes")


def many(form: FormData, name: str) -> list[str]:
    return [str(value) for value in form.getlist(name) if str(value).strip()]


def codes(form: FormData, name: str) -> list[str]:
    """A comma- or space-separated list of codes typed in one field."""
    return [part for part in (text(form, name) or "").replace(",", " ").split() if part]


def _without_empty(data: dict) -> dict:
    return {key: value for key, value in data.items() if value is not None}


def work(form: FormData) -> dict | None:
    return _without_empty({
        "sector": text(form, "work.sector"),
        "hours_per_day": text(form, "work.hours_per_day"),
        "hours_per_week": text(form, "work.hours_per_week"),
        "night_work": flag(form, "work.night_work"),
        "during_school_hours": flag(form, "work.during_school_hours"),
        "hazards": many(form, "work.hazards"),
        "worst_forms": many(form, "work.worst_forms"),
    })


def child(form: FormData, *, village_code: str | None, household_id: str | None) -> dict:
    return _without_empty({
        "full_name": text(form, "full_name"),
        "sex": text(form, "sex"),
        "birth_date": text(form, "birth_date"),
        "nik": text(form, "nik"),
        "village_code": village_code,
        "household_id": household_id,
        "school_status": text(form, "school_status"),
        "living_arrangement": text(form, "living_arrangement"),
        "mapping_categories": many(form, "mapping_categories"),
        "work": work(form) if flag(form, "works") else None,
        "identified_through": text(form, "identified_through"),
    })


def household(form: FormData, *, village_code: str | None) -> dict | None:
    head, address = text(form, "head_name"), text(form, "address")
    if head is None and address is None:
        return None
    return _without_empty({"village_code": village_code, "head_name": head, "address": address})


def visit(form: FormData) -> dict:
    working = flag(form, "working")
    return _without_empty({
        "visited_on": text(form, "visited_on"),
        "working": working,
        "work": work(form) if working else None,
        "attendance": text(form, "attendance"),
        "attending_since": text(form, "attending_since"),
        "living_arrangement": text(form, "living_arrangement"),
        "notes": text(form, "notes"),
    })


def assessment(form: FormData) -> dict:
    return {
        "work": work(form) if flag(form, "works") else None,
        "school_status": text(form, "school_status"),
        "living_arrangement": text(form, "living_arrangement"),
        "mapping_categories": many(form, "mapping_categories") or None,
        "root_causes": many(form, "root_causes"),
    }


def flagging(form: FormData) -> dict:
    """The flag: root causes, extra needs, the derived needs dropped (each with its reason) and the consent."""
    return {
        "root_causes": many(form, "root_causes"),
        "extra_needs": many(form, "extra_needs"),
        "dropped_needs": [{"need": need, "reason": text(form, f"drop_reason.{need}") or "not_needed"}
                          for need in many(form, "drop")],
        "consent": _without_empty({
            "basis": text(form, "consent.basis"),
            "given_by": text(form, "consent.given_by"),
            "relation": text(form, "consent.relation"),
            "legal_reason": text(form, "consent.legal_reason"),
            "given_on": text(form, "consent.given_on"),
            "valid_until": text(form, "consent.valid_until"),
            "document_ref": text(form, "consent.document_ref"),
            "guardian_phone": text(form, "consent.guardian_phone"),
            "share_contact_with_provider": flag(form, "consent.share_contact_with_provider") or None,
        }),
    }


def organisation(form: FormData) -> dict:
    return _without_empty({
        "name": text(form, "name"),
        "kind": text(form, "kind"),
        "regency_code": text(form, "regency_code"),
        "contacts": _without_empty({"person": text(form, "contacts.person"), "phone": text(form, "contacts.phone"),
                                    "email": text(form, "contacts.email"),
                                    "address": text(form, "contacts.address")}),
        "backbone_for": codes(form, "backbone_for"),
    })


def mou(form: FormData) -> dict:
    return _without_empty({
        "number": text(form, "number"),
        "regency_code": text(form, "regency_code"),
        "signed_date": text(form, "signed_date"),
        "valid_from": text(form, "valid_from"),
        "valid_until": text(form, "valid_until"),
        "service_categories": many(form, "service_categories"),
    })


def offering(form: FormData, organization_id: str) -> dict:
    return _without_empty({
        "organization_id": organization_id,
        "category": text(form, "category"),
        "name": text(form, "name"),
        "regency_code": text(form, "regency_code"),
        "service_area": codes(form, "service_area"),
        "min_age": text(form, "min_age"),
        "max_age": text(form, "max_age"),
        "sexes": many(form, "sexes") or None,
        "capacity": text(form, "capacity"),
        "schedule": text(form, "schedule"),
        "course_type": text(form, "course_type"),
    })


def answer(form: FormData, reason_field: str) -> dict:
    """A decline, completion or cancellation: its coded reason and the free text for 'other'."""
    return _without_empty({reason_field: text(form, reason_field), "text": text(form, "text")})


def need(form: FormData) -> dict:
    """A need added after the flag, with the child's preferences when given."""
    preferences = _without_empty({"course_type": text(form, "course_type"), "language": text(form, "language")})
    return {"category": text(form, "category"), **({"preferences": preferences} if preferences else {})}
