"""The object-level authorisation matrix, across every service: every operation that takes an id
or a place in its path is called as each outsider (a district operator of another kabupaten, a
cadre of another desa, staff of another organisation, an analyst) on a real object of Kesilir,
Jember, and on an id that does not exist. An outsider is refused (403 or 404), and for an object
that holds a child's data the answer is exactly the one for the id that does not exist: no hint
that the object is there. Insiders reading the same object get it, so the matrix is not checking
empty air.

The operations are read from the apps: a new endpoint with a path parameter fails
`test_the_matrix_covers_every_operation_with_a_path_parameter` until it is added to MATRIX.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import pytest

from registry.testing import KESILIR, child_payload
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.end_to_end.conftest import ASSESSMENT, GUARDIAN
from tests.end_to_end.test_faults import NEEDS, _directory, _flag

OTHER_DESA = "35.09.11.2006"  # Kesilir's neighbour: same kecamatan, another cadre
OUTSIDERS = {"operator elsewhere": ("operator", "52.03"), "cadre elsewhere": ("cadre", OTHER_DESA),
             "other organisation": ("provider", uuid.UUID(int=99)), "analyst": ("analyst", None)}
CHILD_DATA, DIRECTORY, PLACE = "child", "directory", "place"


@dataclass(frozen=True)
class Entry:
    kind: str  # CHILD_DATA: refusal identical to a missing id; DIRECTORY: writes refused, reads public; PLACE
    body: dict | None = None
    headers: dict | None = None
    insider: str | None = None  # who reads it successfully (GET only): proves the object is real


IF_MATCH = {"If-Match": '"1"'}
DESA_CONTACT = {"function": "cadre", "name": "Bu Lilik", "phone": "0812-3456-7890"}
MOVED_TO_BANYUWANGI = {"to_regency_code": "35.10", "reason": "family_moved"}
MATRIX: dict[tuple[str, str, str], Entry] = {
    ("registry", "GET", "/api/v1/households/{household_id}"): Entry(CHILD_DATA, insider="cadre"),
    ("registry", "GET", "/api/v1/children/{child_id}/duplicates"): Entry(CHILD_DATA, insider="operator"),
    ("registry", "POST", "/api/v1/children/{child_id}/merge"): Entry(CHILD_DATA, {"duplicate_id": str(uuid.uuid4())}),
    ("registry", "POST", "/api/v1/children/{child_id}/merge-requests"): Entry(
        CHILD_DATA, {"duplicate_id": str(uuid.uuid4())}),
    ("registry", "GET", "/api/v1/children/{child_id}"): Entry(CHILD_DATA, insider="cadre"),
    ("registry", "PATCH", "/api/v1/children/{child_id}"): Entry(CHILD_DATA, {"school_status": "in_school"},
                                                               IF_MATCH),
    ("registry", "POST", "/api/v1/children/{child_id}/assessments"): Entry(CHILD_DATA, ASSESSMENT),
    ("registry", "POST", "/api/v1/children/{child_id}/flag"): Entry(CHILD_DATA, {
        "root_causes": [], "extra_needs": NEEDS, "consent": GUARDIAN}),
    ("registry", "POST", "/api/v1/children/{child_id}/flag/approve"): Entry(CHILD_DATA),
    ("registry", "POST", "/api/v1/children/{child_id}/flag/reject"): Entry(CHILD_DATA, {"reason": "duplicate"}),
    ("registry", "GET", "/api/v1/children/{child_id}/flag/preview"): Entry(CHILD_DATA, insider="operator"),
    ("registry", "POST", "/api/v1/children/{child_id}/close"): Entry(CHILD_DATA, {"reason": "moved_away"}),
    ("registry", "POST", "/api/v1/children/{child_id}/consent/withdraw"): Entry(CHILD_DATA, {
        "withdrawn_on": "2026-11-22"}),
    ("registry", "GET", "/api/v1/children/{child_id}/history"): Entry(CHILD_DATA, insider="operator"),
    ("registry", "POST", "/api/v1/children/{child_id}/visits"): Entry(CHILD_DATA, {
        "visited_on": "2026-11-23", "working": False, "attendance": "school"}),
    ("registry", "GET", "/api/v1/children/{child_id}/visits"): Entry(CHILD_DATA, insider="cadre"),
    ("registry", "GET", "/api/v1/children/{child_id}/accesses"): Entry(CHILD_DATA, insider="operator"),
    ("registry", "GET", "/api/v1/children/{child_id}/visits/{visit_id}"): Entry(CHILD_DATA, insider="cadre"),
    ("registry", "GET", "/api/v1/children/{child_id}/flag"): Entry(CHILD_DATA, insider="operator"),
    ("registry", "GET", "/api/v1/imports/{import_id}"): Entry(CHILD_DATA, insider="operator"),
    ("registry", "GET", "/api/v1/imports/{import_id}/issues.csv"): Entry(CHILD_DATA, insider="operator"),
    ("registry", "GET", "/api/v1/children/{child_id}/export"): Entry(CHILD_DATA, insider="operator"),
    ("registry", "POST", "/api/v1/children/{child_id}/rights-requests"): Entry(CHILD_DATA, {
        "kind": "erasure", "basis": "data_subject_request"}),
    ("registry", "GET", "/api/v1/children/{child_id}/rights-requests"): Entry(CHILD_DATA, insider="operator"),
    ("registry", "GET", "/api/v1/children/{child_id}/rights-requests/{request_id}"): Entry(CHILD_DATA,
                                                                                        insider="operator"),
    ("registry", "POST", "/api/v1/children/{child_id}/rights-requests/{request_id}/confirm"): Entry(CHILD_DATA),
    ("registry", "POST", "/api/v1/children/{child_id}/rights-requests/{request_id}/cancel"): Entry(CHILD_DATA),
    ("registry", "POST", "/api/v1/children/{child_id}/transfers"): Entry(CHILD_DATA, MOVED_TO_BANYUWANGI),
    ("registry", "GET", "/api/v1/transfers/{transfer_id}"): Entry(CHILD_DATA, insider="operator"),
    ("registry", "POST", "/api/v1/transfers/{transfer_id}/accept"): Entry(CHILD_DATA, {"village_code": OTHER_DESA}),
    ("registry", "POST", "/api/v1/transfers/{transfer_id}/decline"): Entry(CHILD_DATA, {"reason": "other"}),
    ("registry", "POST", "/api/v1/transfers/{transfer_id}/cancel"): Entry(CHILD_DATA),
    ("registry", "GET", "/api/v1/villages/{village_code}/contact"): Entry(PLACE, insider="cadre"),
    ("registry", "PUT", "/api/v1/villages/{village_code}/contact"): Entry(PLACE, DESA_CONTACT),
    ("referral", "GET", "/api/v1/referrals/{referral_id}"): Entry(CHILD_DATA, insider="operator"),
    ("referral", "POST", "/api/v1/referrals/{referral_id}/accept"): Entry(CHILD_DATA),
    ("referral", "POST", "/api/v1/referrals/{referral_id}/decline"): Entry(CHILD_DATA, {"reason": "no_capacity"}),
    ("referral", "POST", "/api/v1/referrals/{referral_id}/start"): Entry(CHILD_DATA),
    ("referral", "POST", "/api/v1/referrals/{referral_id}/complete"): Entry(CHILD_DATA, {
        "outcome": "service_delivered"}),
    ("referral", "POST", "/api/v1/referrals/{referral_id}/cancel"): Entry(CHILD_DATA, {"reason": "wrong_provider"}),
    ("referral", "GET", "/api/v1/cases/{child_id}"): Entry(CHILD_DATA, insider="operator"),
    ("referral", "GET", "/api/v1/cases/{child_id}/export"): Entry(CHILD_DATA, insider="operator"),
    ("referral", "POST", "/api/v1/cases/{child_id}/needs/{need_id}/referrals"): Entry(CHILD_DATA, {
        "offering_id": str(uuid.uuid4())}),
    ("referral", "POST", "/api/v1/cases/{child_id}/needs"): Entry(CHILD_DATA, {"category": "legal.aid"}),
    ("referral", "POST", "/api/v1/cases/{child_id}/needs/{need_id}/withdraw"): Entry(CHILD_DATA, {
        "reason": "no_longer_needed"}),
    ("referral", "GET", "/api/v1/settings/{regency_code}"): Entry(PLACE, insider="operator"),
    ("referral", "PUT", "/api/v1/settings/{regency_code}"): Entry(PLACE, {
        "parallel_offers": 2, "sla_hours": 48, "weekends_count": False}, IF_MATCH),
    ("reports", "PUT", "/api/v1/reports/pilot/targets/{village_code}"): Entry(PLACE, {
        "withdrawn_target": 4, "prevented_target": 10}),
    ("reports", "PUT", "/api/v1/reports/kla/{regency_code}/{year}/{indicator}"): Entry(PLACE, {
        "achievement_percent": 75, "evidence": "Perbup 12/2026 tentang pusat konsultasi keluarga"}, IF_MATCH),
    ("providers", "GET", "/api/v1/organizations/{organization_id}"): Entry(DIRECTORY, insider="operator"),
    ("providers", "PATCH", "/api/v1/organizations/{organization_id}"): Entry(DIRECTORY, {"kind": "company"},
                                                                            IF_MATCH),
    ("providers", "POST", "/api/v1/organizations/{organization_id}/mous"): Entry(DIRECTORY, {
        "number": "MOU-X", "regency_code": "35.09", "signed_date": "2026-01-05", "valid_from": "2026-01-10",
        "valid_until": "2027-01-31", "service_categories": ["legal.aid"]}),
    ("providers", "GET", "/api/v1/organizations/{organization_id}/mous"): Entry(DIRECTORY, insider="operator"),
    ("providers", "GET", "/api/v1/organizations/{organization_id}/mous/{mou_id}"): Entry(DIRECTORY,
                                                                                        insider="operator"),
    ("providers", "POST", "/api/v1/organizations/{organization_id}/mous/{mou_id}/terminate"): Entry(DIRECTORY, {
        "terminated_on": "2026-11-23", "reason": "provider closed its shelter"}),
    ("providers", "GET", "/api/v1/backbones/{regency_code}"): Entry(DIRECTORY, insider="operator"),
    ("providers", "PUT", "/api/v1/backbones/{regency_code}"): Entry(PLACE, {"organization_id": None}),
    ("providers", "POST", "/api/v1/organizations/{organization_id}/mous/{mou_id}/renew"): Entry(DIRECTORY, {
        "number": "MOU-Y", "valid_until": "2029-01-31"}),
    ("providers", "GET", "/api/v1/services/{offering_id}"): Entry(DIRECTORY, insider="operator"),
    ("providers", "DELETE", "/api/v1/services/{offering_id}"): Entry(DIRECTORY),
    ("providers", "PUT", "/api/v1/services/{offering_id}/capacity"): Entry(DIRECTORY, {"capacity": 5}),
    ("providers", "GET", "/api/v1/hsds/services/{service_id}"): Entry(DIRECTORY, insider="operator"),
    ("providers", "GET", "/api/v1/hsds/organizations/{organization_id}"): Entry(DIRECTORY, insider="operator"),
    ("providers", "GET", "/api/v1/hsds/service_at_locations/{sal_id}"): Entry(DIRECTORY),
    # The programme around the cases (issue 26): a desa's institutions, activities, roadmap; costs; facilitators.
    ("registry", "GET", "/api/v1/activities/{activity_id}"): Entry(CHILD_DATA, insider="cadre"),
    ("registry", "GET", "/api/v1/activities/{activity_id}/sessions"): Entry(CHILD_DATA, insider="cadre"),
    ("registry", "GET", "/api/v1/activities/{activity_id}/sessions/{session_id}"): Entry(CHILD_DATA,
                                                                                        insider="cadre"),
    ("registry", "POST", "/api/v1/activities/{activity_id}/sessions"): Entry(CHILD_DATA, {
        "held_on": "2026-11-22", "anonymous": [{"sex": "male", "age_band": "adult", "count": 3}]}),
    ("registry", "GET", "/api/v1/children/{child_id}/facilitator"): Entry(CHILD_DATA, insider="cadre"),
    ("registry", "PUT", "/api/v1/children/{child_id}/facilitator"): Entry(CHILD_DATA, {"facilitator_id": None}),
    ("registry", "GET", "/api/v1/institutions/{institution_id}"): Entry(CHILD_DATA, insider="cadre"),
    ("registry", "GET", "/api/v1/institutions/{institution_id}/history"): Entry(CHILD_DATA, insider="cadre"),
    ("registry", "PATCH", "/api/v1/institutions/{institution_id}"): Entry(CHILD_DATA, {"status": "active"}, IF_MATCH),
    ("registry", "GET", "/api/v1/costs/{cost_id}"): Entry(CHILD_DATA, insider="operator"),
    ("registry", "GET", "/api/v1/regencies/{regency_code}/prevention-rule"): Entry(PLACE, insider="operator"),
    ("registry", "PUT", "/api/v1/regencies/{regency_code}/prevention-rule"): Entry(PLACE, {
        "min_sessions": 2, "window_months": 3, "kinds": ["socialisation"], "effective_from": "2026-01-01"}),
    ("registry", "GET", "/api/v1/villages/{village_code}/institutions"): Entry(PLACE, insider="cadre"),
    ("registry", "POST", "/api/v1/villages/{village_code}/institutions"): Entry(PLACE, {
        "type": "gtdla", "name": "GTDLA Kesilir", "status": "planned"}),
    ("registry", "GET", "/api/v1/villages/{village_code}/readiness"): Entry(PLACE, insider="cadre"),
    ("registry", "GET", "/api/v1/villages/{village_code}/roadmap"): Entry(PLACE, insider="cadre"),
    ("registry", "PUT", "/api/v1/villages/{village_code}/roadmap/{milestone}"): Entry(PLACE, {
        "reached_on": "2026-02-10"}),
}
# Reference data every signed-in user reads: the official list of places.
PUBLIC = {("registry", "GET", "/api/v1/regions/{code}"): "the official Kemendagri list, the same for everyone"}


def _operations(system) -> set[tuple[str, str, str]]:
    found = set()
    for name, app in system.apps.items():
        for path, operations in app.openapi()["paths"].items():
            for method, operation in operations.items():
                if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
                    found.add((name, method.upper(), path))
    return found


async def test_the_matrix_covers_every_operation_with_a_path_parameter(system):
    uncovered = _operations(system) - set(MATRIX) - set(PUBLIC)
    assert not uncovered, f"add these to MATRIX (or PUBLIC, with a reason): {sorted(uncovered)}"
    assert not set(MATRIX) - _operations(system), "MATRIX names operations that no longer exist"


async def _objects(system, as_) -> dict[str, str]:
    """One of everything, all in Kesilir (Jember), and the ids each path parameter takes."""
    operator = as_("operator")
    await _directory(system, operator)
    household = (await system.registry.post("/api/v1/households", headers=as_("cadre"),
                                            json={"village_code": KESILIR, "head_name": "Pak Darmo"})).json()
    child = (await system.registry.post("/api/v1/children", headers=as_("cadre"),
                                         json=child_payload(household_id=household["id"]))).json()
    await system.registry.post(f"/api/v1/children/{child['id']}/assessments",
                               headers={**as_("cadre"), "If-Match": "*"}, json=ASSESSMENT)
    await _flag(system, as_, child["id"])
    visit = (await system.registry.post(f"/api/v1/children/{child['id']}/visits",
                                        headers={**as_("cadre"), "If-Match": "*"}, json={
        "visited_on": "2026-11-23", "working": True, "attendance": "none", "living_arrangement": "with_family",
        "work": ASSESSMENT["work"]})).json()
    upload = await system.registry.post("/api/v1/imports", headers=operator, files={"file": (
        "survey.csv", io.BytesIO(b"full_name,sex,birth_date,school_status,village_code\n"
                                 b"Budi,male,2012-01-01,in_school,35.09.11.2007\n"), "text/csv")},
                                        data={"mode": "valid_rows_only"})
    assert upload.status_code == 202, upload.text

    await system.registry.put(f"/api/v1/villages/{KESILIR}/contact", headers=operator, json=DESA_CONTACT)
    exported = (await system.registry.post(f"/api/v1/children/{child['id']}/rights-requests", headers=operator,
                                           json={"kind": "export"})).json()
    await system.registry.post(f"/api/v1/children/{child['id']}/rights-requests/{exported['id']}/confirm",
                               headers=as_("admin"))
    transfer = (await system.registry.post(f"/api/v1/children/{child['id']}/transfers", headers=operator,
                                           json=MOVED_TO_BANYUWANGI)).json()

    institution = (await system.registry.post(f"/api/v1/villages/{KESILIR}/institutions", headers=as_("cadre"),
                                              json={"type": "fad", "name": "FAD Kesilir", "status": "planned"})).json()
    activity = (await system.registry.post("/api/v1/activities", headers=as_("cadre"), json={
        "village_code": KESILIR, "kind": "forum_anak_session", "topic": "Hak anak", "recurring": True})).json()
    session = (await system.registry.post(f"/api/v1/activities/{activity['id']}/sessions", headers=as_("cadre"),
                                          json={"held_on": "2026-11-21", "child_ids": [child["id"]]})).json()
    cost = (await system.registry.post("/api/v1/costs", headers=operator, json={
        "amount_idr": 100_000, "funding_source": "apbd", "spent_on": "2026-11-21",
        "activity_id": activity["id"]})).json()

    async def offered():
        async with database(system.apps["referral"]) as db:
            return await db.fetchrow("SELECT id, need_id, organization_id, offering_id FROM referrals LIMIT 1")

    referral = await wait_until(offered, timeout=30, what="an offer")
    organization = str(referral["organization_id"])
    mous = (await system.providers.get(f"/api/v1/organizations/{organization}/mous", headers=operator)).json()
    mou = mous["items"][0]["id"]
    return {"household_id": household["id"], "child_id": child["id"], "visit_id": visit["id"],
            "import_id": upload.json()["id"], "transfer_id": transfer["id"], "request_id": exported["id"],
            "referral_id": str(referral["id"]), "need_id": str(referral["need_id"]),
            "organization_id": organization, "mou_id": mou, "offering_id": str(referral["offering_id"]),
            "service_id": str(referral["offering_id"]), "sal_id": str(referral["offering_id"]),
            "regency_code": "35.09", "village_code": KESILIR, "year": "2026", "indicator": "12",
            "institution_id": institution["id"], "activity_id": activity["id"], "session_id": session["id"],
            "cost_id": cost["id"], "milestone": "roadmap_workshop"}


def _path(template: str, ids: dict[str, str], *, missing: bool = False) -> str:
    for name, value in ids.items():
        is_code = name in ("regency_code", "village_code", "year", "indicator", "milestone")
        template = template.replace("{" + name + "}", value if is_code or not missing else str(uuid.uuid4()))
    return template


async def test_outsiders_are_refused_everywhere_with_no_hint_an_object_exists(system, as_):
    ids = await _objects(system, as_)
    clients = {"registry": system.registry, "providers": system.providers, "referral": system.engine,
               "reports": system.reports}
    problems = []
    for (service, method, template), entry in MATRIX.items():
        client = clients[service]
        if entry.insider and method == "GET":
            seen = await client.get(_path(template, ids), headers=as_(entry.insider))
            if seen.status_code != 200:
                problems.append(f"{method} {template}: the insider ({entry.insider}) got {seen.status_code}")
        if entry.kind == DIRECTORY and method == "GET":
            continue  # the provider directory is for everyone signed in
        for who, (role, place) in OUTSIDERS.items():
            headers = {**as_(role, place), **(entry.headers or {})}
            real = await client.request(method, _path(template, ids), headers=headers, json=entry.body)
            if real.status_code not in (403, 404):
                problems.append(f"{method} {template} as {who}: {real.status_code} {real.text[:120]}")
                continue
            if entry.kind == CHILD_DATA:
                ghost = await client.request(method, _path(template, ids, missing=True), headers=headers,
                                             json=entry.body)
                told = (real.status_code, real.json().get("type"), real.json().get("detail"))
                if told != (ghost.status_code, ghost.json().get("type"), ghost.json().get("detail")):
                    problems.append(f"{method} {template} as {who}: {told} for the real object, "
                                    f"{ghost.status_code} {ghost.json().get('detail')} for none: a hint")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who", ["operator", "cadre"])
async def test_insiders_lists_never_hold_an_outsiders_row(system, as_, who):
    ids = await _objects(system, as_)
    elsewhere = as_("operator", "52.03") if who == "operator" else as_("cadre", OTHER_DESA)
    children = (await system.registry.get("/api/v1/children", headers=elsewhere)).json()["items"]
    referrals = (await system.engine.get("/api/v1/referrals", headers=elsewhere)).json()["items"]
    assert ids["child_id"] not in {child["id"] for child in children}
    assert ids["child_id"] not in {referral["child_id"] for referral in referrals}
