"""Who may do what on NATS: one NKey user per service, allowed its own subjects and consumers only.

NATS is internal, and nothing on it is anonymous. Each service connects as its own user, signing
the server's nonce with its NKey seed (a file only that service reads), and may:
- publish its own events (`sprpa.<service>.>`) and its own dead letters
  (`sprpa.deadletter.<service>.>`), and nothing else;
- create, update and read its own stream, and create (never update) the dead-letter stream;
- create, read, fetch from, acknowledge and delete only the durable consumers named in
  `CONSUMERS` for it, on the streams it consumes;
- receive only on its own inbox prefix (`_INBOX.<service>.>`), so no service reads what another
  fetched.

One more user, `admin`, may do everything: operators' backup and restore, the tests' and
benchmarks' inspection of streams. Its seed stays with the operator.

The server's `authorization` block is built here from these tables, for the embedded default and
the tests (`EmbeddedNats`) and for compose and Kubernetes (`python -m sprpa_shared.events.access
compose|helm`, which read the public keys from environment variables the deployment fills from
secrets; `... access keys DIR` makes the seeds and prints those variables).
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nkeys

from sprpa_shared.events.streams import DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM, stream_name

SERVICES = ("web", "registry", "providers", "referral", "reports", "notify")
ADMIN = "admin"

# The durable consumers each service reads through, by stream. Every service's `main.py` declares
# its subscriptions; tests/platform/test_nats_access.py holds the two equal.
CONSUMERS: dict[str, dict[str, tuple[str, ...]]] = {
    "registry": {"REFERRAL": ("registry-referrals",), "WEB": ("registry-accounts",)},
    "referral": {"PROVIDERS": ("referral-directory",), "REGISTRY": ("referral-cases",)},
    "reports": {"REGISTRY": ("reports-registry",), "REFERRAL": ("reports-referral",),
                "PROVIDERS": ("reports-providers",)},
    "notify": {"REGISTRY": ("notify-registry",), "REFERRAL": ("notify-referral",),
               "PROVIDERS": ("notify-providers",)},
}


def inbox_prefix(service: str) -> str:
    return f"_INBOX.{service}"


def dead_letter_subject(service: str, durable: str) -> str:
    return f"{DEAD_LETTER_PREFIX}.{service}.{durable}"


def permissions(service: str) -> dict[str, Any]:
    """What the service's user may publish and subscribe to (see the module's doc)."""
    own = stream_name(service)
    publish = [
        f"sprpa.{service}.>",
        f"{DEAD_LETTER_PREFIX}.{service}.>",
        "$JS.API.INFO",
        f"$JS.API.STREAM.INFO.{own}",
        f"$JS.API.STREAM.CREATE.{own}",
        f"$JS.API.STREAM.UPDATE.{own}",
        f"$JS.API.STREAM.MSG.GET.{own}",
        f"$JS.API.STREAM.INFO.{DEAD_LETTER_STREAM}",
        f"$JS.API.STREAM.CREATE.{DEAD_LETTER_STREAM}",
    ]
    for stream, durables in CONSUMERS.get(service, {}).items():
        for durable in durables:
            publish += [
                f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
                f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",
                f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
                f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
                f"$JS.API.CONSUMER.DELETE.{stream}.{durable}",
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
                f"$JS.ACK.{stream}.{durable}.>",
                f"$JS.ACK.*.*.{stream}.{durable}.>",
            ]
    return {"publish": {"allow": publish}, "subscribe": {"allow": [f"{inbox_prefix(service)}.>"]}}


def authorization(public_keys: dict[str, str]) -> dict[str, Any]:
    """The server's `authorization` block: a user per service with its permissions, and the admin."""
    users = [{"nkey": public_keys[service], "permissions": permissions(service)} for service in SERVICES]
    users.append({"nkey": public_keys[ADMIN]})
    return {"users": users}


def server_config(public_keys: dict[str, str]) -> str:
    """A NATS configuration file (NATS reads JSON) holding the authorization block only."""
    return "authorization: " + json.dumps(authorization(public_keys), indent=2) + "\n"


def new_seed() -> str:
    return nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER).decode()


def public_key(seed: str) -> str:
    return nkeys.from_seed(bytearray(seed.strip().encode())).public_key.decode()


@dataclass(frozen=True)
class Keys:
    """A folder of NKey seeds, `<user>.nk` each (mode 0600), made at first start and kept."""

    folder: Path

    def ensure(self) -> Keys:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        for user in (*SERVICES, ADMIN):
            path = self.seed_file(user)
            if not path.exists():
                path.touch(mode=0o600)
                path.write_text(new_seed() + "\n")
        return self

    def seed_file(self, user: str) -> Path:
        return self.folder / f"{user}.nk"

    def public_keys(self) -> dict[str, str]:
        return {user: public_key(self.seed_file(user).read_text()) for user in (*SERVICES, ADMIN)}

    def write_server_config(self, path: Path) -> Path:
        path.write_text(server_config(self.public_keys()))
        return path


def connect_options(service: str, *, seed_file: str = "", tls_ca_file: str = "") -> dict[str, Any]:
    """Keyword arguments for `nats.connect` as this service (or `admin`): its seed, its inbox, TLS."""
    options: dict[str, Any] = {"inbox_prefix": inbox_prefix(service) if service != ADMIN else "_INBOX"}
    if seed_file:
        options["nkeys_seed"] = seed_file
    if tls_ca_file:
        options["tls"] = ssl.create_default_context(cafile=tls_ca_file)
    return options


def key_variable(user: str) -> str:
    """The environment variable a deployed NATS server reads the user's public key from."""
    return f"SPRPA_NATS_NKEY_{user.upper()}"


def compose_config() -> str:
    """deploy/compose/nats-authorization.conf: the block, each public key read from the environment."""
    placeholders = {user: f"@@{user}@@" for user in (*SERVICES, ADMIN)}
    text = server_config(placeholders)
    for user, mark in placeholders.items():
        text = text.replace(f'"{mark}"', f"${key_variable(user)}")
    return "# Made by `python -m sprpa_shared.events.access compose`: do not edit (tests/deploy checks it).\n" + text


def helm_values() -> str:
    """deploy/k8s/nats/authorization.yaml: the same block for the official NATS Helm chart, whose
    `<< $VAR >>` writes a variable reference, and the public keys from the `sprpa-nats-public-keys`
    Secret as the server's environment."""
    keys = {user: f"<< ${key_variable(user)} >>" for user in (*SERVICES, ADMIN)}
    env = [{"name": key_variable(user), "valueFrom": {"secretKeyRef": {"name": "sprpa-nats-public-keys",
                                                                        "key": user}}}
           for user in (*SERVICES, ADMIN)]
    values = {"config": {"merge": {"authorization": authorization(keys)}}, "container": {"env": env}}
    return ("# Made by `python -m sprpa_shared.events.access helm`: do not edit (tests/deploy checks it).\n"
            "# helm install nats nats/nats -n sprpa -f deploy/k8s/nats/values.yaml \\\n"
            "#     -f deploy/k8s/nats/authorization.yaml\n"
            + json.dumps(values, indent=2) + "\n")


COMPOSE_NATS_HOSTS = ("nats-1", "nats-2", "nats-3", "nats", "localhost")


def make_tls(folder: Path, *, hosts: tuple[str, ...] = COMPOSE_NATS_HOSTS, days: int = 825) -> None:
    """A CA and a certificate for the NATS nodes (server and route client), valid for `hosts`;
    kept if already there. For compose; on Kubernetes cert-manager makes the `nats-tls` Secret."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    if (folder / "server.crt").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)

    def certificate(subject: str, key, issuer_name, issuer_key, *, ca: bool):
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(issuer_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = (builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]),
                                             critical=False)
                       .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                             ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SPRPA NATS CA")])
    ca = certificate("SPRPA NATS CA", ca_key, ca_name, ca_key, ca=True)
    server = certificate("nats", server_key, ca_name, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (folder / "ca.crt").write_bytes(ca.public_bytes(pem))
    (folder / "server.crt").write_bytes(server.public_bytes(pem))
    key_file = folder / "server.key"
    key_file.touch(mode=0o600)
    key_file.write_bytes(server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sprpa_shared.events.access",
                                     description="NATS credentials of the services")
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("keys", help="make a seed per service and the admin in DIR (kept if there); "
                                            "print the public keys as the deployment's variables")
    keys.add_argument("folder", type=Path)
    tls = commands.add_parser("tls", help="make a CA and the NATS nodes' certificate in DIR (kept if there)")
    tls.add_argument("folder", type=Path)
    commands.add_parser("compose", help="print deploy/compose/nats-authorization.conf")
    commands.add_parser("helm", help="print deploy/k8s/nats/authorization.yaml")
    args = parser.parse_args()
    if args.command == "keys":
        for user, key in Keys(args.folder).ensure().public_keys().items():
            print(f"{key_variable(user)}={key}")
    elif args.command == "tls":
        make_tls(args.folder)
    else:
        sys.stdout.write(compose_config() if args.command == "compose" else helm_values())


if __name__ == "__main__":
    main()
