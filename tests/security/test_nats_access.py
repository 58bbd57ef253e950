"""NATS is internal and authenticated (issue 19, point 1): nobody connects without credentials, a
service publishes only its own subjects and touches only its own consumers, and a consumer drops
an event that does not come from the owner of its stream. The forged acceptance and the forged
erasure of the outside probe are replayed here, and have no effect."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

import nats
import pytest
from nats.js.errors import NotFoundError

from providers.main import create_app as create_providers
from providers.settings import ProvidersSettings
from referral.main import create_app as create_referral
from referral.settings import ReferralSettings
from registry.main import create_app as create_registry
from registry.settings import RegistrySettings
from registry.testing import child_payload
from reports.main import create_app as create_reports
from reports.settings import ReportsSettings
from sprpa_contracts.events import CATALOGUE, ChildErased, ReferralStatusChanged
from sprpa_shared.events.access import CONSUMERS
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.events.streams import DEAD_LETTER_STREAM
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database
from tests.end_to_end.conftest import running_system
from tests.end_to_end.test_faults import NEEDS, _assessed_children, _directory, _flag

LOMBOK_TIMUR_VILLAGE = "52.03.20.2006"  # Pandanwangi, Jerowaru
JEMBER_ORGANIZATION = uuid.UUID("00000000-0000-0000-0000-0000000035e9")
OWNER = {event.event_type: event.source_service for event in CATALOGUE}


@pytest.fixture
async def system(make_settings, issuer, tmp_path_factory):
    async with running_system(make_settings, issuer, tmp_path_factory) as started:
        yield started


async def _connect_as(servers, service: str):
    """A client with a service's own credentials, recording the errors the server sends it."""
    errors: list[str] = []

    async def record(error: Exception) -> None:
        errors.append(str(error).lower())

    client = await servers.connect_nats(service, error_cb=record, allow_reconnect=False)
    return client, errors


async def _dead_letters(js, error: str) -> list[Envelope]:
    try:
        info = await js.stream_info(DEAD_LETTER_STREAM)
    except NotFoundError:
        return []
    if not info.state.messages:
        return []
    letters = []
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(DEAD_LETTER_STREAM, sequence)
        if message.headers.get("Sprpa-Error") == error:
            letters.append(Envelope.from_bytes(message.data))
    return letters


async def _subjects_in(js, stream: str) -> list[str]:
    info = await js.stream_info(stream)
    if not info.state.messages:
        return []
    return [(await js.get_msg(stream, sequence)).subject
            for sequence in range(info.state.first_seq, info.state.last_seq + 1)]


async def test_nats_refuses_a_client_without_credentials(clean):
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(clean.nats_url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)


async def test_a_service_may_not_listen_to_the_events_or_the_inboxes_of_others(clean):
    client, errors = await _connect_as(clean, "registry")
    try:
        await client.subscribe("sprpa.>")
        await client.subscribe("_INBOX.reports.>")
        await client.flush()
        await wait_until(lambda: len(errors) >= 2, timeout=10, what="both subscriptions refused")
    finally:
        await client.close()
    assert all("permissions violation for subscription" in error for error in errors), errors


async def test_a_service_cannot_read_delete_or_drain_another_services_consumer(system, servers, nats_admin):
    await nats_admin.consumer_info("REGISTRY", "referral-cases")  # the engine's consumer exists
    client, errors = await _connect_as(servers, "providers")
    js = client.jetstream(timeout=2)
    try:
        with pytest.raises(nats.errors.TimeoutError):
            await js.delete_consumer("REGISTRY", "referral-cases")
        with pytest.raises(nats.errors.TimeoutError):
            await js.consumer_info("REGISTRY", "reports-registry")
        with pytest.raises(nats.errors.TimeoutError):
            await js.delete_stream("REFERRAL")
    finally:
        await client.close()
    assert len([error for error in errors if "permissions violation for publish" in error]) >= 3, errors
    await nats_admin.consumer_info("REGISTRY", "referral-cases")  # still there
    await nats_admin.stream_info("REFERRAL")


async def test_forged_acceptance_makes_no_child_readable_to_another_kabupatens_provider(system, as_, servers,
                                                                                      nats_admin):
    """The probe: a forged `referral.status_changed` "accepted" made a Lombok Timur child readable by
    a Jember organisation's staff. Anonymous: refused; with another service's credentials: refused;
    on the right subject but from another source: dropped. Only the engine's word opens access."""
    created = await system.registry.post("/api/v1/children", headers=as_("cadre", LOMBOK_TIMUR_VILLAGE),
                                         json=child_payload(village_code=LOMBOK_TIMUR_VILLAGE, nik=None))
    assert created.status_code == 201, created.text
    child_id = uuid.UUID(created.json()["id"])
    staff = as_("provider", JEMBER_ORGANIZATION)
    forged = ReferralStatusChanged(referral_id=uuid.uuid4(), child_id=child_id, village_code=LOMBOK_TIMUR_VILLAGE,
                                   need="education.formal_school", organization_id=JEMBER_ORGANIZATION,
                                   status="accepted", on=date(2026, 11, 23))
    envelope = Envelope.wrap(forged)
    subject = forged.subject()

    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(servers.nats_url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)

    client, errors = await _connect_as(servers, "providers")
    try:
        with pytest.raises(nats.errors.TimeoutError):
            await client.jetstream(timeout=2).publish(subject, envelope.to_bytes())
    finally:
        await client.close()
    assert any(f'permissions violation for publish to "{subject}"' in error for error in errors), errors
    assert subject not in await _subjects_in(nats_admin, "REFERRAL")

    spoofed = envelope.model_copy(update={"source": "/sprpa/providers", "id": uuid.uuid4()})
    await nats_admin.publish(subject, spoofed.to_bytes(), headers={"Nats-Msg-Id": str(spoofed.id)})

    async def dropped_by_both() -> list[Envelope] | None:  # the registry's consumer and the reports'
        letters = await _dead_letters(nats_admin, "ForeignEvent")
        return letters if len(letters) == 2 else None

    letters = await wait_until(dropped_by_both, timeout=30, what="the spoofed acceptance dropped")
    assert {letter.id for letter in letters} == {spoofed.id}
    assert (await system.registry.get(f"/api/v1/children/{child_id}", headers=staff)).status_code == 404
    async with database(system.apps["registry"]) as db:
        assert await db.fetchval("SELECT count(*) FROM provider_access") == 0
    metrics = (await system.registry.get("/metrics")).text
    assert 'sprpa_events_foreign_total{consumer="registry-referrals"' in metrics

    # The control: the same event from the engine's own stream and source does open the record,
    # so what stopped the forgeries above was their origin, not their content.
    await nats_admin.publish(subject, envelope.to_bytes(), headers={"Nats-Msg-Id": str(envelope.id)})

    async def readable() -> bool:
        return (await system.registry.get(f"/api/v1/children/{child_id}", headers=staff)).status_code == 200

    await wait_until(readable, timeout=30, what="the engine's acceptance applied")


async def test_forged_erasure_cancels_no_referral(system, as_, servers, nats_admin):
    """The probe: a forged `child.erased` cancelled a child's live referrals while the registry still
    held the child."""
    await _directory(system, as_("operator"))
    [child] = await _assessed_children(system, as_, 1)
    await _flag(system, as_, child)

    async def live_referrals() -> int:
        async with database(system.apps["referral"]) as db:
            return await db.fetchval("SELECT count(*) FROM referrals WHERE child_id = $1 AND status = 'offered'",
                                     uuid.UUID(child))

    await wait_until(lambda: _equals(live_referrals, 2 * len(NEEDS)), timeout=30, what="the offers made")
    forged = ChildErased(child_id=uuid.UUID(child), village_code="35.09.11.2007", basis="data_subject_request",
                         on=date(2026, 11, 23))
    envelope = Envelope.wrap(forged)

    client, errors = await _connect_as(servers, "referral")
    try:
        with pytest.raises(nats.errors.TimeoutError):
            await client.jetstream(timeout=2).publish(forged.subject(), envelope.to_bytes())
    finally:
        await client.close()
    assert any("permissions violation for publish" in error for error in errors), errors

    spoofed = envelope.model_copy(update={"source": "/sprpa/referral"})
    await nats_admin.publish(forged.subject(), spoofed.to_bytes(), headers={"Nats-Msg-Id": str(spoofed.id)})

    async def dropped_by_both() -> bool:
        return len(await _dead_letters(nats_admin, "ForeignEvent")) == 2  # the engine's and the reports'

    await wait_until(dropped_by_both, timeout=30, what="the spoofed erasure dropped by its consumers")
    assert await live_referrals() == 2 * len(NEEDS)
    read = await system.registry.get(f"/api/v1/children/{child}", headers=as_("operator"))
    assert read.status_code == 200


async def _equals(read, expected) -> bool:
    return await read() == expected


@pytest.mark.parametrize("create_app, settings_class", [
    (create_registry, RegistrySettings), (create_providers, ProvidersSettings),
    (create_referral, ReferralSettings), (create_reports, ReportsSettings)])
def test_the_server_lets_each_service_consume_exactly_what_it_subscribes_to(create_app, settings_class, issuer):
    """The permissions name each service's durable consumers; every service's main.py declares them.
    And each consumer handles only event types its stream's owner publishes."""
    settings = settings_class(environment="test")
    app = create_app(settings, verifier=issuer.verifier())
    declared: dict[str, list[str]] = defaultdict(list)
    for subscription in app.state.subscriptions:
        declared[subscription.spec.stream].append(subscription.spec.durable)
        for event_type in subscription.handlers:
            assert OWNER[event_type] == subscription.spec.owner, (event_type, subscription.spec.stream)
    assert {stream: tuple(durables) for stream, durables in declared.items()} == \
        CONSUMERS.get(settings.service, {})

