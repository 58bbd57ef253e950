"""Signing keys and token minting, for the local issuer and for tests (which mint real tokens)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sprpa_shared.auth.principal import Principal

ALGORITHM = "RS256"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: bytes

    @classmethod
    def generate(cls) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cls(kid=uuid.uuid4().hex, private_pem=pem)

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        return _parsed(self.private_pem)

    @cached_property
    def _jwk(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}

    def public_jwk(self) -> dict:
        return dict(self._jwk)


@lru_cache(maxsize=32)
def _parsed(pem: bytes) -> rsa.RSAPrivateKey:
    """A key parsed once per process: parsing runs cryptography's RSA checks, which every token
    minted and every JWKS served paid before (the issuer reads its keys from its database per
    request; the cost is in docs/performance.md)."""
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def jwks(keys: list[SigningKey]) -> dict:
    return {"keys": [key.public_jwk() for key in keys]}


def principal_claims(principal: Principal) -> dict:
    claims: dict = {"sub": principal.subject, "role": principal.role.value}
    if principal.regency_codes:
        claims["regencies"] = list(principal.regency_codes)
    if principal.village_code:
        claims["village"] = principal.village_code
    if principal.organization_id:
        claims["org"] = str(principal.organization_id)
    if principal.scopes:
        claims["scope"] = " ".join(sorted(principal.scopes))
    return claims


def mint_token(
    key: SigningKey,
    principal: Principal,
    *,
    issuer: str,
    audience: str,
    ttl: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
    extra: dict | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        **principal_claims(principal),
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
        **(extra or {}),
    }
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
