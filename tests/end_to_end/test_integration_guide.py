"""docs/integration.md is true (issue 25, point 8): its shell command creates the API client, and its
Python examples, copied from the page, run in order against the whole system served over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from sprpa_shared.auth.principal import API_SCOPES
from sprpa_shared.clock import MovableClock
from tests.served import served_system

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
BLOCK = re.compile(r"^```(python|sh)\n(.*?)^```", re.M | re.S)
DEFAULTS = {"web": "http://127.0.0.1:8000", "registry": "http://127.0.0.1:8101",
            "providers": "http://127.0.0.1:8102", "referral": "http://127.0.0.1:8103",
            "notify": "http://127.0.0.1:8105"}


def _blocks(kind: str) -> list[str]:
    return [code for found, code in BLOCK.findall(GUIDE.read_text()) if found == kind]


def test_the_guide_lists_every_scope_a_client_can_be_granted():
    rows = dict(re.findall(r"^\| `([a-z]+:[a-z]+)` \| (.+?) \|$", GUIDE.read_text(), re.M))
    assert rows == API_SCOPES


async def test_the_guides_examples_run_against_the_system(make_settings, tmp_path_factory, monkeypatch):
    # The guide's polls read what it just made: no settling wait in this run (the guide explains it).
    # Tokens carry real instants (the services check them against the real clock), so: now.
    async with served_system(make_settings, tmp_path_factory, MovableClock(),
                             sync_settle_seconds=0) as (urls, apps):
        [command] = _blocks("sh")
        words = shlex.split(command.replace("\\\n", " "))
        assert words[:3] == ["python", "-m", "web"]
        settings = apps["web"].state.settings
        created = await asyncio.to_thread(
            subprocess.run, [sys.executable, *words[1:]], capture_output=True, text=True, timeout=60,
            env={**os.environ, "SPRPA_WEB_DATABASE_URL": settings.database_url,
                 "SPRPA_WEB_SECRET_KEY": settings.secret_key})
        assert created.returncode == 0, created.stderr
        client = json.loads(created.stdout)
        assert client["client_id"] == "simfoni-jember" and client["role"] == "integration"
        monkeypatch.setenv("SPRPA_CLIENT_SECRET", client["client_secret"])

        namespace: dict = {}
        for number, code in enumerate(_blocks("python"), start=1):
            for name, default in DEFAULTS.items():
                code = code.replace(default, urls[name])
            compiled = compile(code, f"docs/integration.md python block {number}", "exec")
            await asyncio.to_thread(exec, compiled, namespace)
        assert len(_blocks("python")) >= 11, "every section's example ran"
    assert namespace["secret"].startswith("whsec_")
