"""NATS as deployed: the authorization files compose and Helm read are the ones the code makes,
and compose's TLS and authorization, filled with real keys and a certificate from our own
commands, let a service in over TLS and nobody anonymously."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import nats
import pytest

from sprpa_shared.events.access import Keys, compose_config, connect_options, helm_values, key_variable, make_tls
from sprpa_shared.ops.embedded import free_port, nats_server_bin, wait_for_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_deployed_authorization_files_are_the_ones_the_code_makes():
    assert (DEPLOY / "compose" / "nats-authorization.conf").read_text() == compose_config(), \
        "run: python -m sprpa_shared.events.access compose > deploy/compose/nats-authorization.conf"
    assert (DEPLOY / "k8s" / "nats" / "authorization.yaml").read_text() == helm_values(), \
        "run: python -m sprpa_shared.events.access helm > deploy/k8s/nats/authorization.yaml"


def test_compose_nats_config_includes_the_authorization_and_tls():
    config = (DEPLOY / "compose" / "nats.conf").read_text()
    assert "include ./nats-authorization.conf" in config
    assert config.count("tls {") == 2, "clients and routes over TLS"


def _compose_like_server(tmp_path: Path, keys: Keys) -> tuple[subprocess.Popen, int]:
    """nats-server with compose's authorization file and a TLS block, keys and certificate made by
    our own commands; the public keys in the environment, as compose passes them."""
    subprocess.run([sys.executable, "-m", "sprpa_shared.events.access", "tls", str(tmp_path / "tls")], check=True)
    make_tls(tmp_path / "tls")  # kept: a second call changes nothing
    (tmp_path / "nats-authorization.conf").write_text((DEPLOY / "compose" / "nats-authorization.conf").read_text())
    port = free_port()
    (tmp_path / "nats.conf").write_text(
        f"port: {port}\nhost: 127.0.0.1\ninclude ./nats-authorization.conf\n"
        f"tls {{\n  cert_file: {tmp_path}/tls/server.crt\n  key_file: {tmp_path}/tls/server.key\n"
        f"  ca_file: {tmp_path}/tls/ca.crt\n}}\n")
    env = {**os.environ, **{key_variable(user): key for user, key in keys.public_keys().items()}}
    server = subprocess.Popen([nats_server_bin(), "--config", str(tmp_path / "nats.conf")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, timeout=15, process=server)
    return server, port


async def test_the_compose_authorization_with_real_keys_admits_a_service_over_tls_and_no_anonymous(tmp_path):
    keys = Keys(tmp_path / "keys").ensure()
    server, port = await asyncio.to_thread(_compose_like_server, tmp_path, keys)
    try:
        url = f"tls://localhost:{port}"
        options = connect_options("registry", seed_file=str(keys.seed_file("registry")),
                                  tls_ca_file=str(tmp_path / "tls" / "ca.crt"))
        client = await nats.connect(url, allow_reconnect=False, **options)
        assert client.is_connected and client.connected_url.scheme == "tls"
        await client.close()
        anonymous = {key: value for key, value in options.items() if key != "nkeys_seed"}
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, **anonymous)
    finally:
        server.terminate()
        server.wait(10)
