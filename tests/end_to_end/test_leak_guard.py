"""The leak guard: the whole loop run with recognisable personal data (the child's name and NIK,
the household head's name, the consenting guardian's name, a visit's notes), then every event in
every stream, every log line, every metric of every service and every span is searched for it.
Zero hits."""

from __future__ import annotations

import base64

from registry.testing import KESILIR
from sprpa_shared.testing.apps import database
from tests.end_to_end.conftest import GUARDIAN
from tests.end_to_end.test_observability import spans  # noqa: F401 - the span recorder fixture
from tests.end_to_end.test_referral_loop import closed_loop

CHILD_NAME = "Wulan Leakcheck Pratiwi"
NIK = "3509114508120777"
HEAD_NAME = "Pak Leakhead Suroso"
GUARDIAN_NAME = "Ibu Leakconsent Marni"
NOTES = "catatan rahasia leakcheck: ayah memukul"
SECRETS = (CHILD_NAME, "Leakcheck", NIK, "Leakhead", "Leakconsent", "rahasia leakcheck")


async def test_no_name_nik_or_note_reaches_an_event_a_log_line_a_metric_or_a_span(capfd, system, as_, servers,
                                                                                  spans):  # noqa: F811
    # capfd first: the services' log handlers bind the stdout they find when the apps are made
    household = await system.registry.post("/api/v1/households", headers=as_("cadre"),
                                           json={"village_code": KESILIR, "head_name": HEAD_NAME})
    assert household.status_code == 201, household.text
    child = await closed_loop(system, as_, consent={**GUARDIAN, "given_by": GUARDIAN_NAME}, full_name=CHILD_NAME,
                              nik=NIK, household_id=household.json()["id"])
    visit = await system.registry.post(f"/api/v1/children/{child['id']}/visits",
                                       headers={**as_("cadre"), "If-Match": "*"}, json={
        "visited_on": "2026-11-23", "working": False, "attendance": "school", "notes": NOTES})
    assert visit.status_code == 201, visit.text
    read = await system.registry.get(f"/api/v1/children/{child['id']}", headers=as_("operator"))
    assert read.json()["full_name"] == CHILD_NAME and read.json()["nik"] == NIK, "the data is really there"
    export = await system.reports.get("/api/v1/reports/summary", headers=as_("operator"),
                                      params={"place": "35.09", "format": "csv"})
    assert export.status_code == 200, export.text

    events = await _every_event(servers)
    assert len(events) > 10, "the loop emitted its events"
    outboxes = []
    for app in system.apps.values():
        async with database(app) as db:
            outboxes += [row["envelope"] for row in await db.fetch("SELECT envelope::text FROM outbox")]
    metrics = [(await client.get("/metrics")).text
               for client in (system.registry, system.providers, system.engine, system.reports)]
    logs = capfd.readouterr()
    span_values = [str(value) for span in spans for value in span.attributes.values()]

    for where, texts in {"events": events, "outboxes": outboxes, "metrics": metrics,
                         "logs": [logs.out, logs.err], "spans": span_values}.items():
        hits = [secret for secret in SECRETS for text in texts if secret.lower() in text.lower()]
        assert not hits, f"personal data in {where}: {sorted(set(hits))}"
    assert logs.out, "logs were captured"


async def _every_event(servers) -> list[str]:
    """Every message of every stream, subject, headers and body."""
    client = await servers.connect_nats()
    try:
        js = client.jetstream()
        texts = []
        for info in await js.streams_info():
            if not info.state.messages:
                continue
            for sequence in range(info.state.first_seq, info.state.last_seq + 1):
                message = await js.get_msg(info.config.name, sequence)
                body = message.data or b""
                texts.append(f"{message.subject} {message.headers} {body.decode(errors='replace')} "
                             f"{base64.b64encode(body).decode()}")
        return texts
    finally:
        await client.drain()
