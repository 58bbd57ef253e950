"""`python -m web users|clients|tokens|keys ...`: accounts and tokens for operators, scripts and tests."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta

from sprpa_shared.auth.principal import API_SCOPES, Principal, Role
from sprpa_shared.auth.signing import mint_token
from sprpa_shared.db import create_engine, session_factory, transaction
from sprpa_shared.errors import DomainError
from web.issuer import service
from web.settings import WebSettings

COMMANDS = {
    "users": "people's accounts: create an operator, cadre, provider staff or analyst",
    "clients": "API clients of other systems: create one with its role, kabupaten and scopes",
    "tokens": "mint a short-lived token for a role and place (scripts and tests)",
    "keys": "the issuer's signing keys: rotate, retire the old ones",
}


def _scope_arguments(parser: argparse.ArgumentParser, *, village: bool = True) -> None:
    parser.add_argument("--role", required=True, choices=[role.value for role in Role])
    parser.add_argument("--regency", action="append", default=[], help="kabupaten code, e.g. 35.09 (repeatable)")
    if village:
        parser.add_argument("--village", help="desa code, e.g. 35.09.11.2007 (village cadres)")
    parser.add_argument("--org", type=uuid.UUID, help="organisation id (provider staff)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m web")
    groups = parser.add_subparsers(dest="group", required=True)

    users = groups.add_parser("users").add_subparsers(dest="action", required=True)
    create_user = users.add_parser("create", help="create a person's account (password read from stdin or a prompt)")
    create_user.add_argument("--username", required=True)
    create_user.add_argument("--password-stdin", action="store_true")
    _scope_arguments(create_user)

    clients = groups.add_parser("clients").add_subparsers(dest="action", required=True)
    create_client = clients.add_parser("create", help="register an API client; prints its secret once")
    create_client.add_argument("--client-id", required=True)
    create_client.add_argument("--scope", action="append", default=[], choices=sorted(API_SCOPES),
                               help="an API scope the client may use (repeatable)")
    _scope_arguments(create_client, village=False)

    tokens = groups.add_parser("tokens").add_subparsers(dest="action", required=True)
    mint = tokens.add_parser("mint", help="mint a short-lived token for a role and scope")
    mint.add_argument("--subject", required=True,
                      help="who acts with the token (a person's username or a named script): every audit row names it")
    mint.add_argument("--minutes", type=int, default=15)
    mint.add_argument("--scope", action="append", default=[])
    _scope_arguments(mint)

    keys = groups.add_parser("keys").add_subparsers(dest="action", required=True)
    keys.add_parser("rotate", help="add a new signing key (old keys stay published until retired)")
    keys.add_parser("retire-old", help="unpublish every key but the newest")
    return parser


async def _run(args: argparse.Namespace, settings: WebSettings) -> dict:
    engine = create_engine(settings.sqlalchemy_url, pool_size=1)
    now = datetime.now(UTC)
    try:
        async with transaction(session_factory(engine)) as session:
            if args.group == "users":
                password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass()
                user = await service.create_user(
                    session,
                    username=args.username,
                    password=password,
                    role=Role(args.role),
                    regency_codes=args.regency,
                    village_code=args.village,
                    organization_id=args.org,
                )
                return {"id": str(user.id), "username": user.username, "role": user.role}
            if args.group == "clients":
                client, secret = await service.create_client(
                    session,
                    client_id=args.client_id,
                    role=Role(args.role),
                    regency_codes=args.regency,
                    organization_id=args.org,
                    scopes=args.scope,
                )
                return {"client_id": client.client_id, "client_secret": secret, "role": client.role}
            if args.group == "tokens":
                role = Role(args.role)
                service.validate_scope(
                    role, regency_codes=args.regency, village_code=args.village, organization_id=args.org
                )
                principal = Principal(
                    subject=args.subject,
                    role=role,
                    regency_codes=tuple(args.regency),
                    village_code=args.village,
                    organization_id=args.org,
                    scopes=frozenset(args.scope),
                )
                key = await service.signing_key(session, secret_key=settings.secret_key, now=now)
                token = mint_token(
                    key,
                    principal,
                    issuer=settings.oidc_issuer.rstrip("/"),
                    audience=settings.oidc_audience,
                    ttl=timedelta(minutes=min(args.minutes, 24 * 60)),
                    now=now,
                )
                return {"access_token": token, "token_type": "Bearer", "expires_in": args.minutes * 60}
            if args.action == "rotate":
                key = await service.rotate_key(session, secret_key=settings.secret_key, now=now)
                return {"kid": key.kid}
            return {"retired": await service.retire_keys_except_newest(session, now=now)}
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        result = asyncio.run(_run(args, WebSettings()))
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0
