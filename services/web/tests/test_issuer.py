"""The local issuer: real tokens for people and API clients, lockout, key rotation, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta

import httpx
import jwt
import pytest

from sprpa_shared.auth.principal import Role
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import MovableClock
from sprpa_shared.db import transaction
from sprpa_shared.errors import Conflict, ValidationFailed
from sprpa_shared.testing.apps import database, running
from web.issuer import service
from web.main import create_app
from web.settings import WebSettings

PASSWORD = "kesilir-cadre-2026"
TOKEN = "/api/v1/auth/token"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def web(make_settings, clock):
    settings = await make_settings(WebSettings, secret_key="test-secret-for-key-encryption", lockout_threshold=3)
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        yield app, client


async def trust_own_keys(app, client) -> TokenVerifier:
    """Verify the way another service would: with the JWKS the issuer publishes."""
    document = (await client.get("/.well-known/jwks.json")).json()
    settings = app.state.settings
    verifier = TokenVerifier(issuer=settings.oidc_issuer, audience=settings.oidc_audience, jwks=document)
    app.state.verifier = verifier
    return verifier


async def add_user(app, **kwargs):
    async with transaction(app.state.sessions) as session:
        return await service.create_user(session, **kwargs)


async def login(client, username: str, password: str):
    return await client.post(TOKEN, data={"grant_type": "password", "username": username, "password": password})


async def test_password_grant_issues_a_token_other_services_verify(web):
    app, client = web
    await add_user(app, username="cadre.kesilir", password=PASSWORD, role=Role.VILLAGE_CADRE,
                   village_code="35.09.11.2007")
    response = await login(client, "cadre.kesilir", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60

    verifier = await trust_own_keys(app, client)
    principal = await verifier.verify(body["access_token"])
    assert (principal.role, principal.village_code) == (Role.VILLAGE_CADRE, "35.09.11.2007")
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["village_code"] == "35.09.11.2007"


async def test_client_credentials_grant_carries_scopes(web):
    app, client = web
    async with transaction(app.state.sessions) as session:
        _, secret = await service.create_client(
            session, client_id="simfoni-ppa", role=Role.INTEGRATION, regency_codes=["35.09"],
            scopes=["reports:read"],
        )
    response = await client.post(
        TOKEN, data={"grant_type": "client_credentials", "client_id": "simfoni-ppa", "client_secret": secret}
    )
    principal = await (await trust_own_keys(app, client)).verify(response.json()["access_token"])
    assert principal.role is Role.INTEGRATION
    assert principal.scopes == frozenset({"reports:read"}) and principal.regency_codes == ("35.09",)

    wrong = await client.post(
        TOKEN, data={"grant_type": "client_credentials", "client_id": "simfoni-ppa", "client_secret": "guess"}
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.headers["content-type"] == "application/json" and wrong.headers["cache-control"] == "no-store"


async def test_a_client_authenticates_with_http_basic_too(web):
    """RFC 6749 section 2.3.1: client_secret_basic as well as client_secret_post (issue 25, point 7)."""
    app, client = web
    async with transaction(app.state.sessions) as session:
        _, secret = await service.create_client(
            session, client_id="simfoni-ppa", role=Role.INTEGRATION, regency_codes=["35.09"],
            scopes=["registry:read"])
    discovery = (await client.get("/.well-known/openid-configuration")).json()
    assert set(discovery["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    granted = await client.post(TOKEN, data={"grant_type": "client_credentials"}, auth=("simfoni-ppa", secret))
    assert granted.status_code == 200, granted.text
    assert granted.headers["cache-control"] == "no-store" and granted.json()["token_type"] == "Bearer"
    principal = await (await trust_own_keys(app, client)).verify(granted.json()["access_token"])
    assert principal.subject.endswith("simfoni-ppa") and principal.scopes == frozenset({"registry:read"})

    wrong = await client.post(TOKEN, data={"grant_type": "client_credentials"}, auth=("simfoni-ppa", "guess"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    both = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_secret": secret},
                             auth=("simfoni-ppa", secret))
    assert both.status_code == 400 and both.json()["error"] == "invalid_request", "one way to authenticate, not two"
    garbled = await client.post(TOKEN, data={"grant_type": "client_credentials"},
                                headers={"Authorization": "Basic not-base64!"})
    assert garbled.status_code == 401 and garbled.json()["error"] == "invalid_client"


async def test_wrong_password_unknown_user_and_bad_grant_are_oauth_errors(web):
    """RFC 6749 section 5.2: application/json with `error` and `error_description`, never cached."""
    app, client = web
    await add_user(app, username="op.jember", password=PASSWORD, role=Role.DISTRICT_OPERATOR,
                   regency_codes=["35.09"])
    for username, password in (("op.jember", "wrong-password"), ("nobody", PASSWORD)):
        response = await login(client, username, password)
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
        assert response.headers["content-type"] == "application/json"
        assert response.headers["cache-control"] == "no-store" and response.json()["error_description"]
    missing = await client.post(TOKEN, data={"grant_type": "password", "username": "op.jember"})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    unsupported = await client.post(TOKEN, data={"grant_type": "implicit"})
    assert unsupported.status_code == 400 and unsupported.json()["error"] == "unsupported_grant_type"
    absent = await client.post(TOKEN, data={})
    assert absent.status_code == 400 and absent.json()["error"] == "invalid_request"
    too_long = await client.post(TOKEN, data={"grant_type": "password", "username": "x" * 201, "password": "y"})
    assert too_long.status_code == 400 and too_long.json()["error"] == "invalid_request"


async def test_repeated_failures_back_off_their_address_and_never_lock_the_person_out(web, clock):
    """Issue 19, point 10: a hard lock let anyone lock a district's cadres out on purpose by failing
    five times with their username. Failures now slow down the address they come from (twice as long
    after each), and the person signs in from their own phone meanwhile."""
    app, client = web
    await add_user(app, username="op.lotim", password=PASSWORD, role=Role.DISTRICT_OPERATOR,
                   regency_codes=["52.03"])
    for _ in range(3):  # lockout_threshold in this test
        assert (await login(client, "op.lotim", "not-the-password")).status_code == 400
    slowed = await login(client, "op.lotim", PASSWORD)
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) == 60, slowed.text

    phone = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("192.0.2.7", 40000)),
                              base_url="http://web")
    async with phone:
        assert (await login(phone, "op.lotim", PASSWORD)).status_code == 200, "the attacker locked nobody out"

    clock.advance(timedelta(seconds=61))
    assert (await login(client, "op.lotim", "still-not-it")).status_code == 400
    assert (await login(client, "op.lotim", PASSWORD)).status_code == 429, "twice as long after the next failure"
    clock.advance(timedelta(seconds=121))
    assert (await login(client, "op.lotim", PASSWORD)).status_code == 200

    async with database(app) as db:
        rows = await db.fetch("SELECT actor, actor_role, action, client_ip FROM audit_log ORDER BY id")
    user_id = rows[-1]["actor"]
    assert [(r["actor"], r["action"], r["client_ip"]) for r in rows] == [
        *[("op.lotim", "login failed: bad_password (password)", "127.0.0.1")] * 3,
        ("op.lotim", "login refused: failures from this address, wait 60 s", "127.0.0.1"),
        (user_id, "login (password)", "192.0.2.7"),
        ("op.lotim", "login failed: bad_password (password)", "127.0.0.1"),
        ("op.lotim", "login refused: failures from this address, wait 120 s", "127.0.0.1"),
        (user_id, "login (password)", "127.0.0.1"),
    ]
    assert rows[-1]["actor_role"] == "district_operator" and user_id != "op.lotim"


async def test_many_failures_from_one_address_across_accounts_get_429_until_the_window_passes(web, clock):
    app, client = web
    await add_user(app, username="op.jember", password=PASSWORD, role=Role.DISTRICT_OPERATOR,
                   regency_codes=["35.09"])
    limit = app.state.settings.login_failures_per_address
    for number in range(limit):  # a different (unknown) account each time: no account lockout applies
        assert (await login(client, f"guess.{number}", "not-the-password")).status_code == 400
    refused = await login(client, "op.jember", PASSWORD)
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["error"] == "temporarily_unavailable"
    assert int(refused.headers["Retry-After"]) == app.state.settings.login_failure_window_minutes * 60

    clock.advance(timedelta(minutes=app.state.settings.login_failure_window_minutes, seconds=1))
    assert (await login(client, "op.jember", PASSWORD)).status_code == 200
    async with database(app) as db:
        assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action LIKE 'login refused:%'") == 1


async def test_rotated_keys_keep_old_tokens_valid_until_retired(web, clock):
    app, client = web
    await add_user(app, username="analyst", password=PASSWORD, role=Role.ANALYST)
    old_token = (await login(client, "analyst", PASSWORD)).json()["access_token"]
    async with transaction(app.state.sessions) as session:
        new_key = await service.rotate_key(session, secret_key=app.state.settings.secret_key,
                                           now=clock.now() + timedelta(seconds=1))
    new_token = (await login(client, "analyst", PASSWORD)).json()["access_token"]

    document = (await client.get("/.well-known/jwks.json")).json()
    assert len(document["keys"]) == 2 and all("d" not in key for key in document["keys"]), "public parts only"
    verifier = await trust_own_keys(app, client)
    assert (await verifier.verify(old_token)).role is Role.ANALYST
    assert jwt.get_unverified_header(new_token)["kid"] == new_key.kid

    async with transaction(app.state.sessions) as session:
        assert await service.retire_keys_except_newest(session, now=clock.now()) == 1
    verifier = await trust_own_keys(app, client)
    with pytest.raises(Exception, match="unknown key"):
        await verifier.verify(old_token)
    assert (await verifier.verify(new_token)).role is Role.ANALYST


async def test_scope_must_fit_the_role(web):
    app, _ = web
    cases = [
        dict(role=Role.VILLAGE_CADRE),
        dict(role=Role.DISTRICT_OPERATOR),
        dict(role=Role.PROVIDER_STAFF),
        dict(role=Role.DISTRICT_OPERATOR, regency_codes=["Jember"]),
        dict(role=Role.VILLAGE_CADRE, village_code="35.09.11"),
    ]
    for index, case in enumerate(cases):
        with pytest.raises(ValidationFailed):
            await add_user(app, username=f"u{index}", password=PASSWORD, **case)
    with pytest.raises(ValidationFailed, match="at least 10"):
        await add_user(app, username="short", password="short", role=Role.ANALYST)
    await add_user(app, username="staff", password=PASSWORD, role=Role.PROVIDER_STAFF, organization_id=uuid.uuid4())
    with pytest.raises(Conflict):
        await add_user(app, username="staff", password=PASSWORD, role=Role.ANALYST)


async def test_discovery_document_points_at_the_jwks_and_token_endpoint(web):
    app, client = web
    document = (await client.get("/.well-known/openid-configuration")).json()
    issuer = app.state.settings.oidc_issuer.rstrip("/")
    assert document["issuer"] == issuer
    assert document["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert set(document["grant_types_supported"]) == {"password", "client_credentials"}


async def test_cli_creates_a_user_and_mints_tokens(web):
    app, client = web
    settings = app.state.settings
    env = {
        **os.environ,
        "SPRPA_WEB_DATABASE_URL": settings.database_url,
        "SPRPA_WEB_SECRET_KEY": settings.secret_key,
        "SPRPA_WEB_OIDC_ISSUER": settings.oidc_issuer,
    }

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "web", *args], input=stdin, env=env, capture_output=True,
                              text=True, timeout=60)

    created = cli("users", "create", "--username", "op.klu", "--role", "district_operator",
                  "--regency", "52.08", "--password-stdin", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert (await login(client, "op.klu", PASSWORD)).status_code == 200

    minted = cli("tokens", "mint", "--role", "provider_staff", "--org", str(uuid.UUID(int=7)), "--minutes", "5",
                 "--subject", "staff.budi")
    token = json.loads(minted.stdout)["access_token"]
    principal = await (await trust_own_keys(app, client)).verify(token)
    assert principal.organization_id == uuid.UUID(int=7) and principal.subject == "staff.budi"
    anonymous = cli("tokens", "mint", "--role", "national_admin")
    assert anonymous.returncode == 2 and "--subject" in anonymous.stderr, "a minted token names who acts with it"

    refused = cli("tokens", "mint", "--role", "village_cadre", "--subject", "cadre.sri")
    assert refused.returncode == 2 and "village code" in refused.stderr
