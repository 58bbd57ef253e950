"""A kabupaten's directory system keeps its providers in SPRPA (issue 25, point 9): an integration
client with `providers:write` creates and updates the organisations, MOUs and offerings of its own
kabupaten, and nothing elsewhere; naming the backbone organisation stays a person's decision; a
client is granted only scopes the API knows."""

from __future__ import annotations

import pytest

from sprpa_shared.auth.principal import Role
from sprpa_shared.db import transaction
from sprpa_shared.errors import ValidationFailed
from sprpa_shared.testing.apps import running
from web.issuer import service as issuer_service
from web.main import create_app as create_web
from web.settings import WebSettings

MOU = {"number": "MOU-SIMFONI-1", "regency_code": "35.09", "signed_date": "2026-01-05", "valid_from": "2026-01-10",
       "valid_until": "2027-01-31", "service_categories": ["education.equivalency"]}


def _client(issuer, *scopes: str, regency: str = "35.09") -> dict[str, str]:
    return issuer.headers(Role.INTEGRATION, regencies=(regency,), scopes=frozenset(scopes),
                          subject="client:direktori-jember")


async def test_a_directory_client_manages_its_kabupatens_providers(system, issuer):
    providers, client = system.providers, _client(issuer, "providers:read", "providers:write")
    org = await providers.post("/api/v1/organizations", headers=client,
                               json={"name": "PKBM Tunas", "kind": "school_pkbm", "regency_code": "35.09"})
    assert org.status_code == 201, org.text
    renamed = await providers.patch(org.headers["location"], json={"name": "PKBM Tunas Harapan"},
                                    headers={**client, "If-Match": org.headers["etag"]})
    assert renamed.status_code == 200, renamed.text
    mou = await providers.post(f"{org.headers['location']}/mous", headers=client, json=MOU)
    assert mou.status_code == 201, mou.text
    offering = await providers.post("/api/v1/services", headers=client, json={
        "organization_id": org.json()["id"], "category": "education.equivalency", "name": "Kejar Paket B",
        "regency_code": "35.09", "min_age": 10, "max_age": 17, "capacity": 10})
    assert offering.status_code == 201, offering.text
    capacity = await providers.put(f"{offering.headers['location']}/capacity", json={"capacity": 12},
                                   headers=client)
    assert capacity.status_code == 200 and capacity.json()["capacity"] == 12

    elsewhere = await providers.post("/api/v1/organizations", headers=client,
                                     json={"name": "LPA Lotim", "kind": "ngo", "regency_code": "52.03"})
    assert elsewhere.status_code == 403, "only its own kabupaten"
    backbone = await providers.patch(org.headers["location"], json={"backbone_for": ["35.09"]},
                                     headers={**client, "If-Match": renamed.headers["etag"]})
    assert backbone.status_code == 403, "naming the backbone is the district's decision"
    reader = await providers.post("/api/v1/organizations", headers=_client(issuer, "providers:read"),
                                  json={"name": "LPA", "kind": "ngo", "regency_code": "35.09"})
    assert reader.status_code == 403 and reader.json()["type"].endswith("insufficient-scope")


@pytest.fixture
async def web_app(make_settings, issuer):
    app = create_web(await make_settings(WebSettings), verifier=issuer.verifier())
    async with running(app):
        yield app


async def test_a_client_is_granted_only_scopes_the_api_knows(web_app):
    async with transaction(web_app.state.sessions) as session:
        with pytest.raises(ValidationFailed, match="unknown scopes: registry:delete"):
            await issuer_service.create_client(session, client_id="x", role=Role.INTEGRATION,
                                               regency_codes=["35.09"], scopes=["registry:read", "registry:delete"])
