"""The district manages its own people and integrating systems: accounts made with a one-time
code, a second operator's approval for a new operator, deactivation that revokes every token,
resets, moves, API clients; nobody grants beyond their own scope; every change audited and
evented. The password rules follow NIST SP 800-63B."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import uvicorn
from sqlmodel import select

from providers.main import create_app as create_providers
from providers.settings import ProvidersSettings
from services.web.tests.test_pages import sign_in
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import MovableClock
from sprpa_shared.db import transaction
from sprpa_shared.errors import Forbidden, Unauthorized
from sprpa_shared.ops.embedded import free_port
from sprpa_shared.testing import wait_until
from sprpa_shared.testing.apps import database, running
from web.accounts import passwords, second_factor
from web.issuer import service
from web.issuer.models import User
from web.main import create_app
from web.settings import WebSettings

KESILIR, NEIGHBOUR, LOMBOK_DESA = "35.09.11.2007", "35.09.11.2006", "52.03.20.2006"
PASSPHRASE = "tembakau hijau di ladang pagi"
TOKEN = "/api/v1/auth/token"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def web(make_settings, clock):
    settings = await make_settings(WebSettings, secret_key="test-secret-for-key-encryption",
                                   providers_url=f"http://127.0.0.1:{free_port()}")
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        app.state.verifier = await verifier_of(app, client)
        yield app, client


async def verifier_of(app, client) -> TokenVerifier:
    """A verifier as another service has one: the issuer's keys and its revocation list."""
    settings = app.state.settings
    return TokenVerifier(issuer=settings.oidc_issuer, audience=settings.oidc_audience,
                         jwks=(await client.get("/.well-known/jwks.json")).json(),
                         revocations_url="/api/v1/auth/revocations", revocations_refetch_seconds=0.05, http=client)


async def signed_in(client, username: str, password: str = PASSPHRASE) -> dict:
    answer = await client.post(TOKEN, data={"grant_type": "password", "username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def first_operator(app, client, username: str = "op.jember", regency: str = "35.09") -> dict:
    async with transaction(app.state.sessions) as session:
        await service.create_user(session, username=username, password=PASSPHRASE, role=Role.DISTRICT_OPERATOR,
                                  regency_codes=[regency])
    return await signed_in(client, username)


async def make(client, headers, **body) -> dict:
    answer = await client.post("/api/v1/accounts", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == f"/api/v1/accounts/{answer.json()['id']}"
    read = await client.get(answer.headers["Location"], headers=headers)
    assert read.status_code == 200 and read.json()["username"] == body["username"]
    return answer.json()


async def set_password(client, code: str, password: str = PASSPHRASE):
    return await client.post("/api/v1/auth/password", json={"code": code, "password": password})


async def test_an_operator_makes_a_cadre_who_sets_their_own_password_once(web, clock):
    app, client = web
    operator = await first_operator(app, client)
    cadre = await make(client, operator, username="kader.kesilir", role="village_cadre", village_code=KESILIR)
    assert (cadre["status"], cadre["regency_code"], cadre["village_code"]) == ("active", "35.09", KESILIR)
    refused = await client.post(TOKEN, data={"grant_type": "password", "username": "kader.kesilir",
                                             "password": PASSPHRASE})
    assert refused.status_code == 400, "no password until the person sets one"

    weak = await set_password(client, cadre["code"], "bismillah123")
    assert weak.status_code == 422 and "breaches" in weak.json()["errors"][0]["message"]
    assert (await set_password(client, cadre["code"])).status_code == 204
    again = await set_password(client, cadre["code"], "another long pass phrase")
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "code", "a code works once"
    headers = await signed_in(client, "kader.kesilir")
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()
    assert me["village_code"] == KESILIR

    async with database(app) as db:
        events = [json.loads(row["envelope"]) for row in await db.fetch(
            "SELECT envelope::text AS envelope FROM outbox WHERE type = 'sprpa.account.changed.v1'")]
        audited = await db.fetchval("SELECT count(*) FROM audit_log WHERE action LIKE 'account created:%'")
    assert [(event["data"]["change"], event["data"]["role"], event["data"]["village_code"]) for event in events] == [
        ("created", "village_cadre", KESILIR)]
    assert "kader" not in json.dumps(events), "no username in events"
    assert audited == 1

    code = (await client.post(f"/api/v1/accounts/{cadre['id']}/reset", headers=operator)).json()["code"]
    clock.advance(timedelta(hours=24, seconds=1))
    expired = await set_password(client, code, "sebuah frasa sandi yang baru")
    assert expired.status_code == 422, "a code expires after 24 hours"


async def test_a_village_facilitator_is_a_cadre_account_with_its_function(web):
    """Issue 24, point 1: the district makes a facilitator (fasilitator desa pendamping anak) for a
    desa: the village_cadre role (DOMAIN.md), named as such in the list."""
    app, client = web
    operator = await first_operator(app, client)
    made = await make(client, operator, username="fasilitator.kesilir", role="village_cadre",
                      village_code=KESILIR, function="facilitator")
    assert (made["role"], made["function"], made["village_code"]) == ("village_cadre", "facilitator", KESILIR)
    cadre = await make(client, operator, username="kader.kesilir", role="village_cadre", village_code=KESILIR)
    assert cadre["function"] == "cadre"
    wrong = await client.post("/api/v1/accounts", headers=operator, json={
        "username": "op.fasilitator", "role": "district_operator", "function": "facilitator"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "function"
    listed = (await client.get("/api/v1/accounts", headers=operator)).json()["items"]
    assert {a["username"]: a["function"] for a in listed}["fasilitator.kesilir"] == "facilitator"


async def test_nobody_grants_beyond_their_own_scope(web):
    app, client = web
    operator = await first_operator(app, client)
    outside = await client.post("/api/v1/accounts", headers=operator, json={
        "username": "kader.lombok", "role": "village_cadre", "village_code": LOMBOK_DESA})
    assert outside.status_code == 403 and outside.headers["content-type"] == "application/problem+json"
    for role in ("national_admin", "analyst", "integration"):
        above = await client.post("/api/v1/accounts", headers=operator, json={"username": f"x.{role}", "role": role})
        assert above.status_code == 422, role
    elsewhere = await client.post("/api/v1/accounts", headers=operator, json={
        "username": "op.lombok", "role": "district_operator", "regency_code": "52.03"})
    assert elsewhere.status_code == 403
    no_mou = await client.post("/api/v1/accounts", headers=operator, json={
        "username": "staf.x", "role": "provider_staff", "organization_id": str(uuid.uuid4())})
    assert no_mou.status_code in (403, 503)
    cadre = await make(client, operator, username="kader.kesilir", role="village_cadre", village_code=KESILIR)
    await set_password(client, cadre["code"])
    as_cadre = await signed_in(client, "kader.kesilir")
    assert (await client.post("/api/v1/accounts", headers=as_cadre, json={
        "username": "kader.dua", "role": "village_cadre", "village_code": KESILIR})).status_code == 403
    assert (await client.get("/api/v1/accounts", headers=as_cadre)).status_code == 403
    assert (await client.post(f"/api/v1/accounts/{cadre['id']}/deactivate", headers=as_cadre)).status_code == 403

    lombok = await first_operator(app, client, "op.lombok", "52.03")
    assert [a["username"] for a in (await client.get("/api/v1/accounts", headers=lombok)).json()["items"]] == [
        "op.lombok"]
    assert (await client.post(f"/api/v1/accounts/{cadre['id']}/reset", headers=lombok)).status_code == 404
    async with database(app) as db:
        assert await db.fetchval("SELECT count(*) FROM users") == 3, "nothing made by the refusals"


async def test_a_new_operator_waits_for_a_second_operators_approval(web):
    app, client = web
    first = await first_operator(app, client)
    made = await make(client, first, username="op.kedua", role="district_operator")
    assert made["status"] == "awaiting_approval" and made["regency_code"] == "35.09"
    assert (await set_password(client, made["code"])).status_code == 204
    waiting = await client.post(TOKEN, data={"grant_type": "password", "username": "op.kedua",
                                             "password": PASSPHRASE})
    assert waiting.status_code == 400, "no sign-in before the approval"
    same = await client.post(f"/api/v1/accounts/{made['id']}/approve", headers=first)
    assert same.status_code == 403 and "second person" in same.json()["detail"]

    other = await first_operator(app, client, "op.ketiga")
    approved = await client.post(f"/api/v1/accounts/{made['id']}/approve", headers=other)
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    await signed_in(client, "op.kedua")


async def test_a_deactivated_persons_token_and_page_session_stop_at_once(web):
    app, client = web
    operator = await first_operator(app, client)
    cadre = await make(client, operator, username="kader.kesilir", role="village_cadre", village_code=KESILIR)
    await set_password(client, cadre["code"])
    token = await signed_in(client, "kader.kesilir")
    page = await sign_in(client, "kader.kesilir", PASSPHRASE)
    assert page.status_code in (302, 303) and client.cookies.get("sprpa_session")
    elsewhere = await verifier_of(app, client)  # another service's verifier
    await elsewhere.verify(token["Authorization"].split()[1])

    answer = await client.post(f"/api/v1/accounts/{cadre['id']}/deactivate", headers=operator)
    assert answer.status_code == 200 and answer.json()["status"] == "deactivated"

    async def refused() -> bool:
        try:
            await elsewhere.verify(token["Authorization"].split()[1])
        except Unauthorized:
            return True
        return False

    await wait_until(refused, timeout=60, interval=0.05, what="the token refused by another service")
    await wait_until(lambda: _status(client, token, 401), timeout=60, interval=0.05, what="refused here too")
    async with database(app) as db:
        assert await db.fetchval("SELECT count(*) FROM browser_sessions") == 0, "page sessions ended"
    assert (await client.get("/children")).status_code in (302, 303, 401)
    assert (await client.post(TOKEN, data={"grant_type": "password", "username": "kader.kesilir",
                                           "password": PASSPHRASE})).status_code == 400
    assert (await client.post(f"/api/v1/accounts/{cadre['id']}/deactivate", headers=token)).status_code == 401


async def test_a_cadre_moves_to_another_desa_of_the_kabupaten_only(web):
    app, client = web
    operator = await first_operator(app, client)
    cadre = await make(client, operator, username="kader.kesilir", role="village_cadre", village_code=KESILIR)
    moved = await client.post(f"/api/v1/accounts/{cadre['id']}/move", headers=operator,
                              json={"village_code": NEIGHBOUR})
    assert moved.status_code == 200 and moved.json()["village_code"] == NEIGHBOUR
    away = await client.post(f"/api/v1/accounts/{cadre['id']}/move", headers=operator,
                             json={"village_code": LOMBOK_DESA})
    assert away.status_code == 422 and away.json()["errors"][0]["field"] == "village_code"


async def test_an_operator_registers_and_revokes_an_api_client_for_the_kabupaten(web):
    app, client = web
    operator = await first_operator(app, client)
    made = await client.post("/api/v1/clients", headers=operator, json={
        "client_id": "simpeg-jember", "scopes": ["registry:read", "reports:read"]})
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["role"], body["regency_codes"], body["status"]) == ("integration", ["35.09"], "active")
    assert (await client.get(made.headers["Location"], headers=operator)).json()["client_id"] == "simpeg-jember"
    granted = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": "simpeg-jember",
                                             "client_secret": body["client_secret"]})
    assert granted.status_code == 200
    elsewhere = await verifier_of(app, client)
    principal = await elsewhere.verify(granted.json()["access_token"])
    assert principal.scopes == frozenset({"registry:read", "reports:read"}) and principal.regency_codes == ("35.09",)
    outside = await client.post("/api/v1/clients", headers=operator, json={
        "client_id": "simpeg-lombok", "scopes": ["registry:read"], "regency_code": "52.03"})
    assert outside.status_code == 403

    revoked = await client.post("/api/v1/clients/simpeg-jember/revoke", headers=operator)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"

    async def refused() -> bool:
        try:
            await elsewhere.verify(granted.json()["access_token"])
        except Unauthorized:
            return True
        return False

    await wait_until(refused, timeout=60, interval=0.05, what="the client's token refused")
    listed = (await client.get("/api/v1/clients", headers=operator)).json()["items"]
    assert "client_secret" not in json.dumps(listed)


async def test_provider_staff_are_made_for_an_mou_organisation_and_its_admin_manages_them(web, make_settings, clock):
    app, client = web
    operator = await first_operator(app, client)
    jwks = (await client.get("/.well-known/jwks.json")).json()
    settings = app.state.settings
    providers = create_providers(await make_settings(ProvidersSettings), clock=clock, verifier=TokenVerifier(
        issuer=settings.oidc_issuer, audience=settings.oidc_audience, jwks=jwks))
    port = int(settings.providers_url.rsplit(":", 1)[1])
    async with running(providers) as directory:
        server = uvicorn.Server(uvicorn.Config(providers, host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="off"))
        serving = asyncio.create_task(server.serve())
        try:
            await wait_until(lambda: server.started, timeout=10, what="the providers service")
            org = (await directory.post("/api/v1/organizations", headers=operator, json={
                "name": "PKBM Tunas Harapan", "kind": "school_pkbm", "regency_code": "35.09"})).json()
            without = await client.post("/api/v1/accounts", headers=operator, json={
                "username": "staf.tunas", "role": "provider_staff", "organization_id": org["id"]})
            assert without.status_code == 403 and "MOU" in without.json()["detail"]
            mou = await directory.post(f"/api/v1/organizations/{org['id']}/mous", headers=operator, json={
                "number": "MOU-7", "regency_code": "35.09", "signed_date": "2026-01-05", "valid_from": "2026-01-10",
                "valid_until": "2027-12-31", "service_categories": ["education.equivalency"]})
            assert mou.status_code == 201, mou.text
            admin = await make(client, operator, username="admin.tunas", role="provider_staff",
                               organization_id=org["id"], org_admin=True)
        finally:
            server.should_exit = True
            await serving
    await set_password(client, admin["code"])
    as_admin = await signed_in(client, "admin.tunas")
    staff = await make(client, as_admin, username="staf.tunas", role="provider_staff")
    assert (staff["organization_id"], staff["regency_code"]) == (org["id"], "35.09")
    other_org = await client.post("/api/v1/accounts", headers=as_admin, json={
        "username": "staf.lain", "role": "provider_staff", "organization_id": str(uuid.uuid4())})
    assert other_org.status_code == 403
    cadre = await client.post("/api/v1/accounts", headers=as_admin, json={
        "username": "kader.x", "role": "village_cadre", "village_code": KESILIR})
    assert cadre.status_code == 403
    assert sorted(a["username"] for a in (await client.get("/api/v1/accounts", headers=as_admin)).json()["items"]) \
        == ["admin.tunas", "staf.tunas"]


async def _status(client, headers, status: int) -> bool:
    return (await client.get("/api/v1/auth/me", headers=headers)).status_code == status


def test_password_rules_follow_nist_800_63b():
    assert passwords.problem("pendek") and "10" in passwords.problem("pendek")
    for breached in ("password123", "bismillah123", "qwertyuiop", "Indonesia2026!"):
        assert "breaches" in (passwords.problem(breached) or ""), breached
    assert "username" in passwords.problem("kader.kesilir-2026", username="kader.kesilir")
    assert passwords.problem("aaaaaaaaaaaa")
    assert passwords.problem(PASSPHRASE) is None, "a phrase of plain words will do: no composition rules"
    assert passwords.problem("x" * 129)


async def test_a_second_factor_is_asked_once_set_up_and_when_the_kabupaten_requires_it(web):
    app, client = web
    await first_operator(app, client)
    secret_key = app.state.settings.secret_key
    async with transaction(app.state.sessions) as session:
        user = (await session.exec(select(User).where(User.username == "op.jember"))).one()
        secret, uri = second_factor.start(user, secret_key=secret_key)
        assert uri.startswith("otpauth://totp/SPRPA:op.jember?secret=")
        assert user.totp_secret and secret not in user.totp_secret, "kept encrypted"
        second_factor.confirm(user, pyotp.TOTP(secret).now(), secret_key=secret_key, now=datetime.now(UTC))
        session.add(user)

    form = {"grant_type": "password", "username": "op.jember", "password": PASSPHRASE}
    assert (await client.post(TOKEN, data=form)).status_code == 400, "the password alone no longer does"
    code = pyotp.TOTP(secret).at(datetime.now(UTC).timestamp() + 30)  # the next step: not used yet
    assert (await client.post(TOKEN, data={**form, "totp": code})).status_code == 200
    assert (await client.post(TOKEN, data={**form, "totp": code})).status_code == 400, "a code works once"

    second = await first_operator(app, client, "op.kedua")  # no second factor yet: signs in
    async with transaction(app.state.sessions) as session:
        lombok_admin = Principal(subject="x", role=Role.DISTRICT_OPERATOR, regency_codes=("52.03",))
        with pytest.raises(Forbidden):
            await second_factor.set_required(session, lombok_admin, regency_code="35.09", required=True,
                                             now=datetime.now(UTC))
    async with transaction(app.state.sessions) as session:
        me = await app.state.verifier.verify(second["Authorization"].split()[1])
        await second_factor.set_required(session, me, regency_code="35.09", required=True, now=datetime.now(UTC))
    refused = await client.post(TOKEN, data={"grant_type": "password", "username": "op.kedua", "password": PASSPHRASE})
    assert refused.status_code == 400, "required, not set up: no token, only the page to set it up"
    assert (await sign_in(client, "op.kedua", PASSPHRASE)).status_code == 303
    assert (await client.get("/children")).headers["location"] == "/account/security"
    page = await client.get("/account/security")
    assert page.status_code == 200 and 'id="must-enrol"' in page.text
