"""Bearer tokens: every way a token can be wrong is a 401 problem; a valid one yields its principal."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from registry.settings import RegistrySettings
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.auth.signing import SigningKey, mint_token
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.testing.apps import running

ME = "/api/v1/auth/me"


@pytest.fixture
async def registry(make_settings, issuer):
    app = create_service_app(
        await make_settings(RegistrySettings), title="registry", description="", verifier=issuer.verifier()
    )
    async with running(app) as client:
        yield client


def _claims(issuer, **overrides) -> dict:
    now = datetime.now(UTC)
    return {
        "sub": "someone",
        "role": "district_operator",
        "regencies": ["35.09"],
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **overrides,
    }


async def _status(client, token: str) -> tuple[int, dict]:
    response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json()


async def test_valid_token_yields_the_principal_with_role_and_scope(registry, issuer):
    org = uuid.uuid4()
    response = await registry.get(ME, headers=issuer.headers(Role.PROVIDER_STAFF, org=org, subject="staff-1"))
    assert response.status_code == 200
    assert response.json() == {
        "subject": "staff-1",
        "role": "provider_staff",
        "regency_codes": [],
        "village_code": None,
        "organization_id": str(org),
        "scopes": [],
    }
    cadre = await registry.get(ME, headers=issuer.headers(Role.VILLAGE_CADRE, village="35.09.11.2007"))
    assert cadre.json()["village_code"] == "35.09.11.2007"


async def test_missing_token_is_401_problem_with_challenge(registry):
    response = await registry.get(ME)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["type"].endswith("/unauthorized")


async def test_expired_token_is_rejected(registry, issuer):
    status, body = await _status(registry, issuer.token(Role.ANALYST, ttl=timedelta(minutes=-5)))
    assert (status, body["detail"]) == (401, "token expired")


async def test_not_yet_valid_token_is_rejected(registry, issuer):
    future = datetime.now(UTC) + timedelta(hours=1)
    token = jwt.encode(
        _claims(issuer, nbf=future, exp=future + timedelta(minutes=5)),
        issuer.key.private_pem,
        algorithm="RS256",
        headers={"kid": issuer.key.kid},
    )
    status, body = await _status(registry, token)
    assert (status, body["detail"]) == (401, "token not valid yet")


async def test_wrong_issuer_is_rejected(registry, issuer):
    token = mint_token(
        issuer.key,
        Principal(subject="x", role=Role.NATIONAL_ADMIN),
        issuer="https://someone-else.example",
        audience=issuer.audience,
    )
    status, body = await _status(registry, token)
    assert (status, body["detail"]) == (401, "token from an untrusted issuer")


async def test_wrong_audience_is_rejected(registry, issuer):
    token = mint_token(
        issuer.key, Principal(subject="x", role=Role.NATIONAL_ADMIN), issuer=issuer.issuer, audience="another-app"
    )
    status, body = await _status(registry, token)
    assert (status, body["detail"]) == (401, "token not meant for this audience")


async def test_alg_none_is_rejected(registry, issuer):
    token = jwt.encode(_claims(issuer, role="national_admin"), None, algorithm="none", headers={"kid": issuer.key.kid})
    status, body = await _status(registry, token)
    assert (status, body["detail"]) == (401, "token algorithm not accepted")


async def test_hmac_signed_with_the_public_key_is_rejected(registry, issuer):
    """Algorithm confusion: the public key used as an HS256 secret."""
    private = serialization.load_pem_private_key(issuer.key.private_pem, password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": issuer.key.kid, "typ": "JWT"}
    signing_input = (
        jwt.utils.base64url_encode(jwt.api_jws.json.dumps(header, separators=(",", ":")).encode())
        + b"."
        + jwt.utils.base64url_encode(
            jwt.api_jws.json.dumps(
                {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in _claims(issuer).items()},
                separators=(",", ":"),
            ).encode()
        )
    )
    signature = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    token = (signing_input + b"." + jwt.utils.base64url_encode(signature)).decode()
    status, body = await _status(registry, token)
    assert (status, body["detail"]) == (401, "token algorithm not accepted")


async def test_bad_signature_is_rejected(registry, issuer):
    impostor = SigningKey(kid=issuer.key.kid, private_pem=SigningKey.generate().private_pem)
    forged = mint_token(
        impostor, Principal(subject="x", role=Role.NATIONAL_ADMIN), issuer=issuer.issuer, audience=issuer.audience
    )
    status, body = await _status(registry, forged)
    assert (status, body["detail"]) == (401, "invalid token")

    genuine = issuer.token(Role.ANALYST)
    head, payload, signature = genuine.split(".")
    tampered_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"analyst"', b'"national_admin"')
    ).decode()
    status, _ = await _status(registry, f"{head}.{tampered_payload}.{signature}")
    assert status == 401


async def test_unknown_key_id_and_unknown_role_are_rejected(registry, issuer):
    stranger = SigningKey.generate()
    token = mint_token(
        stranger, Principal(subject="x", role=Role.NATIONAL_ADMIN), issuer=issuer.issuer, audience=issuer.audience
    )
    status, body = await _status(registry, token)
    assert (status, body["detail"]) == (401, "token signed by an unknown key")

    token = jwt.encode(
        _claims(issuer, role="superuser"), issuer.key.private_pem, algorithm="RS256", headers={"kid": issuer.key.kid}
    )
    status, body = await _status(registry, token)
    assert (status, body["detail"]) == (401, "token claims do not name a valid role and scope")


@pytest.mark.parametrize("overrides", [
    pytest.param({"regencies": "35.09"}, id="regencies as a string (split into characters once)"),
    pytest.param({"regencies": ["35"]}, id="a province code as a regency (read the whole province)"),
    pytest.param({"regencies": ["35.09.11"]}, id="a kecamatan code as a regency"),
    pytest.param({"regencies": []}, id="an operator of no kabupaten"),
    pytest.param({"role": "village_cadre", "regencies": [], "village": "35.09"},
                 id="a cadre whose desa is a kabupaten"),
    pytest.param({"role": "village_cadre", "regencies": []}, id="a cadre of no desa"),
    pytest.param({"role": "provider_staff", "regencies": [], "org": "not-a-uuid"}, id="staff of no organisation"),
    pytest.param({"role": "provider_staff", "regencies": [], "org": 7}, id="an organisation as a number"),
    pytest.param({"scope": ["registry:read"]}, id="scope as a list"),
    pytest.param({"sub": ""}, id="an empty subject"),
    pytest.param({"exp": datetime.now(UTC) + timedelta(days=30)}, id="a lifetime of a month"),
])
async def test_claims_of_the_wrong_shape_or_a_lifetime_past_the_maximum_are_refused(registry, issuer, overrides):
    token = jwt.encode(_claims(issuer, **overrides), issuer.key.private_pem, algorithm="RS256",
                       headers={"kid": issuer.key.kid})
    status, body = await _status(registry, token)
    assert status == 401, body


async def test_a_token_verified_once_is_remembered_until_it_expires_and_forgotten_with_its_key(issuer, monkeypatch):
    """Issue 27: the RSA check of a token already verified is not done again (the same token is the
    same signature over the same claims); its lifetime still ends it, and a new key set forgets it."""
    from sprpa_shared.auth import verifier as module

    verifier = issuer.verifier()
    token = issuer.token(Role.ANALYST, ttl=timedelta(minutes=5))
    checks = []
    real = module.jwt.decode
    monkeypatch.setattr(module.jwt, "decode", lambda *a, **k: checks.append(1) or real(*a, **k))
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first and len(checks) == 1, "the second time needs no RSA check"

    later = datetime.now(UTC) + timedelta(minutes=6)  # past exp and its 30 s leeway, on the cache's clock
    monkeypatch.setattr(module.time, "time", lambda: later.timestamp())
    await verifier.verify(token)  # (PyJWT's own clock is still now, so the full check passes)
    assert len(checks) == 2, "past its lifetime the remembered token is checked in full again"

    monkeypatch.undo()
    verifier._load({"keys": []})  # the issuer withdrew its key
    with pytest.raises(Exception, match="unknown key"):
        await verifier.verify(token)


async def test_the_verifier_fetches_the_revocation_list_over_one_kept_connection():
    """It once made an HTTP client (and a TLS context, ~10 ms of CPU) for every fetch of the list."""
    connections: list[int] = []
    body = json.dumps({"revoked": [{"subject_sha256": hashlib.sha256(b"gone").hexdigest(), "before": 1.0}]})

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while (await reader.readuntil(b"\r\n\r\n")) if not reader.at_eof() else False:
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                         f"\r\n{body}".encode())
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    verifier = TokenVerifier(issuer="i", audience="a", jwks={"keys": []},
                             revocations_url=f"http://127.0.0.1:{port}/api/v1/auth/revocations")
    try:
        for _ in range(3):
            await verifier.refresh_revocations()
        assert set(verifier._revoked) == {hashlib.sha256(b"gone").hexdigest()}
        assert len(connections) == 1
    finally:
        await verifier.aclose()
        server.close()
        await server.wait_closed()
