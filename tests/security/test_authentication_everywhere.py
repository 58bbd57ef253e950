"""No service accepts an unauthenticated call outside health, metrics and the issuer's own
public endpoints: every operation in every service's OpenAPI document is called without a
token (and with a forged one) and must answer 401 with a problem document.

The operations are read from the apps themselves, so a new endpoint is covered the day it
is added; one that should be public has to be named in PUBLIC, with its reason.
"""

from __future__ import annotations

import uuid

import pytest

from notify.main import create_app as create_notify
from notify.settings import NotifySettings
from providers.main import create_app as create_providers
from providers.settings import ProvidersSettings
from referral.main import create_app as create_referral
from referral.settings import ReferralSettings
from registry.main import create_app as create_registry
from registry.settings import RegistrySettings
from reports.main import create_app as create_reports
from reports.settings import ReportsSettings
from sprpa_shared.testing.apps import running
from web.main import create_app as create_web
from web.settings import WebSettings

SERVICES = {"registry": (create_registry, RegistrySettings), "providers": (create_providers, ProvidersSettings),
            "referral": (create_referral, ReferralSettings), "reports": (create_reports, ReportsSettings),
            "notify": (create_notify, NotifySettings), "web": (create_web, WebSettings)}
PUBLIC = {
    ("GET", "/healthz"): "liveness probe",
    ("GET", "/readyz"): "readiness probe",
    ("GET", "/problems"): "what each error type means: documentation, no data",
    ("GET", "/.well-known/openid-configuration"): "OIDC discovery: how to get a token",
    ("GET", "/.well-known/jwks.json"): "public keys that verify tokens",
    ("POST", "/api/v1/auth/token"): "where a token is obtained (rate-limited, failures counted)",
    ("GET", "/api/v1/auth/revocations"): "the revoked tokens every service's verifier reads; subjects hashed",
    ("POST", "/api/v1/auth/password"): "a person sets their password with a one-time code: the code is the proof",
    ("GET", "/api/v1/notifications/receipts/whatsapp"): "Meta's subscription check: answers only the verify token",
    ("POST", "/api/v1/notifications/receipts/whatsapp"): "WhatsApp delivery receipts: refused unless signed with "
                                                         "the app secret",
    ("POST", "/api/v1/notifications/receipts/sms"): "SMS delivery receipts: refused unless signed with the "
                                                    "gateway's token",
}
SAMPLE = {"code": "35.09", "regency_code": "35.09", "village_code": "35.09.11.2007", "year": "2026",
          "indicator": "12"}


def _path(template: str, names: list[str]) -> str:
    for name in names:
        template = template.replace("{" + name + "}", SAMPLE.get(name, str(uuid.uuid4())))
    return template


@pytest.mark.parametrize("service", list(SERVICES))
async def test_every_operation_refuses_a_call_without_a_valid_token(service, make_settings, issuer, tmp_path):
    factory, settings_class = SERVICES[service]
    extra = {"import_spool_dir": tmp_path} if service == "registry" else {}
    app = factory(await make_settings(settings_class, **extra), verifier=issuer.verifier())
    operations = [(method.upper(), path, [p["name"] for p in op.get("parameters", []) if p["in"] == "path"])
                  for path, ops in app.openapi()["paths"].items() for method, op in ops.items()]
    assert len(operations) > 3
    forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}  # alg none, no signature
    async with running(app) as api:
        for method, template, names in operations:
            if (method, template) in PUBLIC:
                continue
            path = _path(template, names)
            for headers in ({}, forged):
                response = await api.request(method, path, headers=headers, json={} if method != "GET" else None)
                assert response.status_code == 401, (service, method, template, headers, response.text[:200])
                assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_json_body_refuses_fields_it_does_not_know(service):
    """Mass assignment: a body carrying server-owned fields (status, classification, ids, scope)
    is refused with 422, because every JSON body model forbids unknown fields."""
    factory, _ = SERVICES[service]
    document = factory().openapi()
    schemas = document.get("components", {}).get("schemas", {})
    bodies = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                reference = content["application/json"]["schema"].get("$ref", "")
                bodies.append((method.upper(), path, reference.rsplit("/", 1)[-1]))
    assert bodies or service == "web"
    for method, path, name in bodies:
        assert schemas[name].get("additionalProperties") is False, f"{method} {path}: {name} accepts unknown fields"
