"""The pages' own rules, without a browser: sessions (sign-in, idle expiry, a disabled user, sign-out),
CSRF, roles, safe redirects, a service that is down, and the words of both languages."""

from __future__ import annotations

import importlib
import json
import re
import socket
import time
import typing
from pathlib import Path

import pytest

import web as web_module
from providers.main import create_app as create_providers
from referral.fanout.engine import NeedStatus
from referral.main import create_app as create_referral
from registry.cases.lifecycle import CaseStatus
from registry.classification.rules import Result
from registry.main import create_app as create_registry
from registry.visits.rules import Outcome
from reports import kla
from sprpa_contracts import eligibility
from sprpa_contracts.eligibility import MouStatus
from sprpa_contracts.events import GapRecorded
from sprpa_shared.auth.principal import Role
from sprpa_shared.db import transaction
from sprpa_shared.ops.embedded import free_port
from sprpa_shared.testing.apps import database, running
from web.issuer import service
from web.main import create_app
from web.settings import WebSettings
from web.ui import i18n, reporting

PASSWORD = "kesilir-cadre-2026"
TEMPLATES = Path(importlib.import_module("web.ui").__file__).parent / "templates"


@pytest.fixture
async def web(make_settings):
    nowhere = f"http://127.0.0.1:{free_port()}"  # no service listens: a call to it fails with 503
    settings = await make_settings(WebSettings, secret_key="test-secret-for-key-encryption", lockout_threshold=3,
                                   registry_url=nowhere, providers_url=nowhere, referral_url=nowhere,
                                   reports_url=nowhere)
    app = create_app(settings)
    async with running(app) as client:
        async with transaction(app.state.sessions) as session:
            user = await service.create_user(session, username="kader", password=PASSWORD, role=Role.VILLAGE_CADRE,
                                             village_code="35.09.11.2007")
        yield app, client, user


async def sign_in(client, username: str = "kader", password: str = PASSWORD, next: str = ""):
    """As a browser does: the form first (its CSRF token and cookie), then the post."""
    form = await client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    return await client.post("/login", data={"username": username, "password": password, "next": next,
                                             "csrf": token})


async def test_signing_in_sets_an_httponly_session_cookie_and_goes_to_the_roles_home(web):
    app, client, _ = web
    assert (await client.get("/children")).headers["location"] == "/login?next=%2Fchildren"
    response = await sign_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/children"
    cookie = response.headers["set-cookie"]
    assert "sprpa_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    async with database(app) as db:
        stored = await db.fetchval("SELECT token_hash FROM browser_sessions")
    assert stored and stored not in cookie, "only the token's hash is kept"


async def test_a_wrong_password_shows_a_plain_message_and_opens_no_session(web):
    app, client, _ = web
    response = await sign_in(client, password="wrong-password-1")
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in response.text
    assert "sprpa_session" not in response.headers.get("set-cookie", "")
    async with database(app) as db:
        assert await db.fetchval("SELECT count(*) FROM browser_sessions") == 0
        assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action LIKE 'login failed:%'") == 1


async def test_a_sign_in_without_the_login_forms_csrf_token_is_refused_and_opens_no_session(web):
    """Login CSRF: another site's form cannot sign the browser in to an account of its choosing."""
    app, client, _ = web
    forged = await client.post("/login", data={"username": "kader", "password": PASSWORD})
    assert forged.status_code == 400 and "sprpa_session" not in forged.headers.get("set-cookie", "")
    form = await client.get("/login")
    client.cookies.delete("sprpa_login_csrf")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    without_cookie = await client.post("/login", data={"username": "kader", "password": PASSWORD, "csrf": token})
    assert without_cookie.status_code == 400
    async with database(app) as db:
        assert await db.fetchval("SELECT count(*) FROM browser_sessions") == 0
    assert (await sign_in(client)).status_code == 303


async def test_every_page_answers_with_a_strict_content_security_policy_and_the_other_headers(web):
    _, client, _ = web
    for path in ("/login", "/static/app.css"):
        headers = (await client.get(path)).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in headers, "HSTS only in production, where TLS is certain"
    templates = Path(web_module.__file__).parent / "ui" / "templates"
    inline = [(path.name, mark) for path in templates.glob("*.html") for mark in ('style="', "<script>", " onclick=",
                                                                                  " onchange=", " onsubmit=")
              if mark in path.read_text()]
    assert not inline, f"inline code the policy would block: {inline}"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "evil", "/\\evil.example"])
async def test_sign_in_and_the_language_switch_follow_only_our_own_paths(web, target):
    _, client, _ = web
    response = await sign_in(client, next=target)
    assert response.headers["location"] == "/children"
    switched = await client.get("/lang/en", params={"next": target})
    assert switched.headers["location"] == "/"


async def test_a_session_idle_past_its_limit_signs_the_browser_out(web):
    app, client, _ = web
    await sign_in(client)
    assert (await client.get("/lang/en", params={"next": "/children"})).status_code == 303
    async with database(app) as db:
        await db.execute("UPDATE browser_sessions SET last_seen_at = last_seen_at - interval '31 minutes'")
    response = await client.get("/children")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_disabling_a_user_ends_their_sessions_and_signing_out_ends_the_session(web):
    app, client, user = web
    await sign_in(client)
    async with database(app) as db:
        await db.execute("UPDATE users SET disabled = true WHERE id = $1", user.id)
    assert (await client.get("/children")).status_code == 303
    async with database(app) as db:
        await db.execute("UPDATE users SET disabled = false WHERE id = $1", user.id)
    cookie = (await sign_in(client)).cookies["sprpa_session"]
    await client.post("/logout")
    async with database(app) as db:
        assert await db.fetchval("SELECT count(*) FROM browser_sessions WHERE user_id = $1", user.id) == 1, \
            "the first session (of the disabled user) stays until it expires; the signed-out one is gone"
    client.cookies.set("sprpa_session", cookie)  # the signed-out cookie, kept by someone
    response = await client.get("/children")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_a_form_without_this_sessions_csrf_token_is_refused_before_any_service_is_called(web):
    _, client, _ = web
    await sign_in(client)
    response = await client.post("/children/new", data={"full_name": "Siti", "csrf": "forged"})
    # 400 and the plain message: had the registry been called, the page would say it is unavailable (503)
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in response.text


async def test_a_page_not_for_the_role_says_so(web):
    _, client, _ = web
    await sign_in(client)
    for path in ("/directory", "/inbox", "/imports", "/kla", "/rules"):
        response = await client.get(path)
        assert response.status_code == 403 and "bukan untuk peran Anda" in response.text, path


async def test_a_service_that_is_down_gives_a_plain_503_page(web, capsys):
    _, client, _ = web
    await sign_in(client)
    response = await client.get("/children")
    assert response.status_code == 503
    assert "Layanan sedang tidak tersedia" in response.text
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    unreached = {(line["backend"], line["method"], line["error"]) for line in logged
                 if line["event"] == "a service could not be reached"}
    assert ("registry", "GET", "ConnectError") in unreached, "the log says how the page's call failed"
    client.cookies.set("sprpa_lang", "en")
    english = await client.get("/children")
    assert "A service is unavailable" in english.text


def _template_words() -> tuple[set[str], set[str]]:
    keys, kinds = set(), set()
    for template in TEMPLATES.glob("*.html"):
        source = template.read_text()
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_]+)["']\s*\)""", source))
        kinds |= set(re.findall(r"""\bt\.(?:label|options)\(\s*["']([a-z_]+)["']""", source))
    return keys, kinds


def test_every_word_the_pages_use_exists_in_both_languages():
    keys, kinds = _template_words()
    dynamic = {f"report_{name}" for name in reporting.REPORTS} | {
        "visit_saved", "flag_done", "flag_waits", "saved", "not_allowed", "bad_form", "not_found", "conflict",
        "unavailable", "invalid", "sign_in_failed", "sign_in_throttled"}
    missing = sorted((keys | dynamic) - set(i18n.TEXT))
    assert not missing, f"words without a translation: {missing}"
    assert kinds <= set(i18n.LABELS), sorted(kinds - set(i18n.LABELS))
    for key, (indonesian, english) in i18n.TEXT.items():
        assert indonesian.strip() and english.strip(), key


def _exclusion_reasons() -> set[str]:
    """Every reason the shared eligibility rules can give for leaving an offering out."""
    return set(re.findall(r'"((?:mou|no|too|other|sex|outside)_[a-z_]+)"', Path(eligibility.__file__).read_text()))


def _enum(spec: dict, path: str) -> set[str]:
    schema, _, field = path.partition(".")
    node = spec["components"]["schemas"][schema]
    if field:
        node = node["properties"][field]
        node = next((option for option in node.get("anyOf", [node]) if "enum" in option), node)
    return set(node["enum"])


def test_the_codes_the_pages_name_are_exactly_the_services_codes():
    """A code added to a service without a name here fails this test instead of showing raw."""
    specs = {"registry": create_registry().openapi(), "providers": create_providers().openapi(),
             "referral": create_referral().openapi()}
    sources = {
        "role": ("registry", "Role"), "sex": ("registry", "ChildCreate.sex"),
        "school_status": ("registry", "ChildCreate.school_status"),
        "living_arrangement": ("registry", "ChildCreate.living_arrangement"),
        "mapping_category": ("registry", "MappingCategory"), "sector": ("registry", "Sector"),
        "hazard": ("registry", "Hazard"), "worst_form": ("registry", "WorstForm"),
        "root_cause": ("registry", "RootCause"), "attendance": ("registry", "VisitCreate.attendance"),
        "consent_basis": ("registry", "ConsentIn.basis"), "relation": ("registry", "ConsentIn.relation"),
        "import_mode": ("registry", "ImportStatus.mode"), "import_status": ("registry", "ImportStatus.status"),
        "kind": ("providers", "Kind"), "course_type": ("providers", "OfferingCreate.course_type"),
        "referral_status": ("referral", "ReferralStatus"), "decline_reason": ("referral", "DeclineReason"),
        "referral_outcome": ("referral", "Outcome"), "cancel_reason": ("referral", "CancelReason"),
        "need_withdraw_reason": ("referral", "NeedWithdrawReason"), "drop_reason": ("registry", "DropReason"),
        "closure_reason": ("registry", "ClosureReason"),
        "identified_through": ("registry", "ChildCreate.identified_through"),
    }
    for kind, (service_name, path) in sources.items():
        assert set(i18n.LABELS[kind]) == _enum(specs[service_name], path), kind
    assert set(i18n.LABELS["classification"]) == {result.value for result in Result}
    assert set(i18n.LABELS["case_status"]) == {status.value for status in CaseStatus}
    assert set(i18n.LABELS["visit_outcome"]) == {outcome.value for outcome in Outcome}
    assert set(i18n.LABELS["mou_status"]) == {status.value for status in MouStatus}
    assert set(i18n.LABELS["exclusion"]) == _exclusion_reasons()
    assert set(i18n.LABELS["need_status"]) == {
        value for name, value in vars(NeedStatus).items() if name.isupper() and isinstance(value, str)}
    assert set(i18n.LABELS["gap_reason"]) == set(typing.get_args(GapRecorded.model_fields["reason"].annotation))
    assert set(i18n.KLA_INDICATORS_ID) == {number for number, _, _ in kla.INDICATORS}


async def test_a_hung_notify_service_costs_a_page_a_second_at_most_and_only_its_bell(make_settings):
    """The bell is asked on every page: a notify service that accepts and never answers must not hold
    every page for the backends' timeout (30 s here)."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # the kernel completes the handshake; nobody ever answers
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = await make_settings(WebSettings, secret_key="test-secret-for-key-encryption",
                                   registry_url=nowhere, providers_url=nowhere, referral_url=nowhere,
                                   reports_url=nowhere, backend_timeout_seconds=30,
                                   notify_url=f"http://127.0.0.1:{hung.getsockname()[1]}")
    app = create_app(settings)
    try:
        async with running(app) as client:
            async with transaction(app.state.sessions) as session:
                await service.create_user(session, username="kader", password=PASSWORD, role=Role.VILLAGE_CADRE,
                                          village_code="35.09.11.2007")
            await sign_in(client)
            started = time.monotonic()
            page = await client.get("/children")  # the registry is down too: its plain 503 page
            assert time.monotonic() - started < 10, "the page waited for the notify service"
            assert page.status_code == 503 and 'class="count"' not in page.text
    finally:
        hung.close()


def test_a_correction_meets_a_change_made_meanwhile_three_ways():
    from web.ui.children import _edits
    was = {"full_name": "Siti Aminnah", "sex": "female", "birth_date": "2012-08-05", "nik": ""}
    now = {"full_name": "Siti Aminah Putri", "sex": "female", "birth_date": "2012-08-05", "nik": "3509114508120001"}
    mine = {"full_name": "Siti Aminah", "sex": "female", "birth_date": "2012-08-06", "nik": ""}
    merged, conflicts = _edits(mine, was, now)
    assert conflicts == [{"field": "full_name", "mine": "Siti Aminah", "theirs": "Siti Aminah Putri"}]
    assert merged == {"full_name": "Siti Aminah Putri", "sex": "female", "birth_date": "2012-08-06",
                      "nik": "3509114508120001"}, "each side's own change kept; the clash waits for a choice"
    assert _edits(mine, was, {**now, "full_name": "Siti Aminah"})[1] == [], "the same change on both sides"
