"""An issuer for tests: a real RSA key, real RS256 tokens, and a verifier that trusts them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.auth.signing import SigningKey, jwks, mint_token
from sprpa_shared.auth.verifier import TokenVerifier


class TestIssuer:
    __test__ = False  # not a test class

    def __init__(self, issuer: str = "https://issuer.sprpa.test", audience: str = "sprpa") -> None:
        self.issuer = issuer
        self.audience = audience
        self.key = SigningKey.generate()

    @property
    def jwks(self) -> dict:
        return jwks([self.key])

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(issuer=self.issuer, audience=self.audience, jwks=self.jwks)

    def token(
        self,
        role: Role | str,
        *,
        regencies: tuple[str, ...] = (),
        village: str | None = None,
        org: uuid.UUID | None = None,
        scopes: frozenset[str] = frozenset(),
        ttl: timedelta = timedelta(minutes=15),
        subject: str | None = None,
        **overrides,
    ) -> str:
        principal = Principal(
            subject=subject or f"test-{role}",
            role=Role(role),
            regency_codes=regencies,
            village_code=village,
            organization_id=org,
            scopes=scopes,
        )
        return mint_token(self.key, principal, issuer=self.issuer, audience=self.audience, ttl=ttl, extra=overrides)

    def headers(self, role: Role | str, **kwargs) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, **kwargs)}"}
