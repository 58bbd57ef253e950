"""Bearer token verification against a configurable issuer and its JWKS."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import time
import uuid
from collections import OrderedDict
from datetime import timedelta

import httpx
import jwt

from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Unauthorized

# Asymmetric only: a symmetric algorithm would let a public key be used as an HMAC secret.
ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]
REFETCH_INTERVAL_SECONDS = 30.0
REVOCATIONS_REFETCH_SECONDS = 20.0  # with the request that notices: a revoked token stops within a minute
VERIFIED_TOKENS_KEPT = 4096


class TokenVerifier:
    """Verifies signature, issuer, audience and lifetime, and turns the claims into a `Principal`.

    Keys come from a JWKS URL (refetched when an unknown `kid` shows up, at most every 30 s, so
    rotation works) or from a given JWKS document.

    A token verified once is remembered (the last 4,096) with the end of its lifetime: the same
    token again is the same signature over the same claims, so it is answered without a second
    RSA check until it expires. Loading a new key set forgets them all (a key withdrawn from the
    JWKS takes its tokens with it).

    Revoked tokens (a person deactivated, an API client revoked) come from the issuer's revocation
    list, fetched in the background at most every 20 s when requests come: a token of a listed
    subject issued before its `before` is refused, whether verified before or not.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        jwks: dict | None = None,
        leeway_seconds: float = 30.0,
        revocations_url: str | None = None,
        revocations_refetch_seconds: float = REVOCATIONS_REFETCH_SECONDS,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self._jwks_url = jwks_url
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self._leeway = leeway_seconds
        self._verified: OrderedDict[str, tuple[Principal, float, float]] = OrderedDict()
        self._revocations_url, self._revocations_every = revocations_url, revocations_refetch_seconds
        self._revoked: dict[str, float] = {}
        self._revocations_at = float("-inf")
        self._revocations_task: asyncio.Task | None = None
        self._http = http
        self._owns_http = False
        if jwks is not None:
            self._load(jwks)

    def _load(self, document: dict) -> None:
        keys = {}
        for entry in document.get("keys", []):
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue
            if entry.get("kid"):
                keys[entry["kid"]] = key
        self._keys = keys
        self._verified.clear()

    async def _refresh(self) -> None:
        if self._jwks_url is None:
            return
        async with self._lock:
            if time.monotonic() - self._fetched_at < REFETCH_INTERVAL_SECONDS and self._keys:
                return
            self._load(await self._get_json(self._jwks_url))
            self._fetched_at = time.monotonic()

    async def _key_for(self, kid: str | None) -> jwt.PyJWK:
        if kid is None:
            raise Unauthorized("token has no key id")
        if kid not in self._keys:
            try:
                await self._refresh()
            except httpx.HTTPError as exc:
                raise Unauthorized("token keys could not be fetched from the issuer") from exc
        if kid not in self._keys:
            raise Unauthorized("token signed by an unknown key")
        return self._keys[kid]

    async def _get_json(self, url: str) -> dict:
        if self._http is None:
            # Kept for the verifier's life: a client made per fetch built a TLS context each time
            # (about 10 ms of CPU, every 20 s in every service that answers requests).
            self._http = httpx.AsyncClient(timeout=5)
            self._owns_http = True
        response = await self._http.get(url)
        response.raise_for_status()
        return response.json()

    async def aclose(self) -> None:
        """Closes the HTTP client the verifier made itself (not one it was given)."""
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    async def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            principal, valid_until, issued = known
            if time.time() < valid_until:
                self._verified.move_to_end(token)
                self._refuse_revoked(principal, issued)
                return principal
            del self._verified[token]
        principal, expires, issued = await self._verify(token)
        self._verified[token] = (principal, expires + self._leeway, issued)
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)
        self._refuse_revoked(principal, issued)
        return principal

    def _refuse_revoked(self, principal: Principal, issued: float) -> None:
        if self._revocations_url is None:
            return
        if time.monotonic() - self._revocations_at >= self._revocations_every and (
                self._revocations_task is None or self._revocations_task.done()):
            self._revocations_at = time.monotonic()
            self._revocations_task = asyncio.get_running_loop().create_task(self.refresh_revocations())
        if self._revoked:
            before = self._revoked.get(hashlib.sha256(principal.subject.encode()).hexdigest())
            if before is not None and issued < before:
                raise Unauthorized("token revoked: the account was deactivated or the client revoked")

    async def refresh_revocations(self) -> None:
        """Load the issuer's revocation list now (a failure keeps the list as it was)."""
        if self._revocations_url is None:
            return
        with contextlib.suppress(httpx.HTTPError, ValueError, KeyError, TypeError):
            document = await self._get_json(self._revocations_url)
            self._revoked = {entry["subject_sha256"]: float(entry["before"]) for entry in document["revoked"]}

    async def _verify(self, token: str) -> tuple[Principal, float, float]:
        """The token's principal and its expiry (epoch seconds), after every check."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise Unauthorized("token algorithm not accepted")
        key = await self._key_for(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name] if key.algorithm_name in ALLOWED_ALGORITHMS else [],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("token not meant for this audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("token from an untrusted issuer") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized("token not valid yet") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid token") from exc
        return principal_from_claims(claims), float(claims["exp"]), float(claims["iat"])


REGENCY = re.compile(r"\d{2}\.\d{2}")
VILLAGE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 scope-token
MAX_TOKEN_LIFETIME = timedelta(hours=24)
_NEEDS = {Role.DISTRICT_OPERATOR: "regencies", Role.INTEGRATION: "regencies", Role.VILLAGE_CADRE: "village",
          Role.PROVIDER_STAFF: "org"}


def principal_from_claims(claims: dict) -> Principal:
    """The caller the claims describe, once every claim has exactly the shape its role needs: a
    list of kabupaten codes (never a province, a kecamatan or a string), a desa code, an
    organisation's UUID, a space-separated scope, and a lifetime of at most a day."""
    try:
        role = Role(str(claims.get("role")))
        subject, regencies, village = claims["sub"], claims.get("regencies") or [], claims.get("village")
        org, scope = claims.get("org"), claims.get("scope") or ""
        if not isinstance(subject, str) or not subject.strip():
            raise ValueError("subject")
        if not isinstance(regencies, list) or not all(isinstance(c, str) and REGENCY.fullmatch(c) for c in regencies):
            raise ValueError("regencies")
        if village is not None and not (isinstance(village, str) and VILLAGE.fullmatch(village)):
            raise ValueError("village")
        if org is not None and not isinstance(org, str):
            raise ValueError("org")
        if not isinstance(scope, str) or not all(SCOPE_TOKEN.fullmatch(token) for token in scope.split()):
            raise ValueError("scope")
        if role in _NEEDS and not claims.get(_NEEDS[role]):
            raise ValueError(_NEEDS[role])
        if timedelta(seconds=float(claims["exp"]) - float(claims["iat"])) > MAX_TOKEN_LIFETIME:
            raise ValueError("lifetime")
        return Principal(
            subject=subject,
            role=role,
            regency_codes=tuple(regencies),
            village_code=village,
            organization_id=uuid.UUID(org) if org else None,
            scopes=frozenset(scope.split()),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("token claims do not name a valid role and scope") from exc
