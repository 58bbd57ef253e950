"""The scope matrix (issue 19, point 3): every operation of every service declares the API scope it
needs, and an integration client without that scope is refused before anything happens.

Read from the apps' own OpenAPI documents, so an operation added tomorrow fails here until it
declares its scope (`dependencies=[needs("<service>:read|write")]`), and a declaration that is not
enforced fails too: each operation is called by a client holding every scope but its own (403
insufficient-scope) and by one holding only its own (anything but that refusal)."""

from __future__ import annotations

import pytest

from sprpa_shared.auth.principal import API_SCOPES, SIGNED_IN, Role
from sprpa_shared.testing.apps import running
from tests.security.test_authentication_everywhere import PUBLIC, SERVICES, _path


def _operations(app) -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path template, path parameter names, the scopes it declares)."""
    operations = []
    for template, ops in app.openapi()["paths"].items():
        for method, operation in ops.items():
            declared = sorted({scope for requirement in operation.get("security", [])
                               for scopes in requirement.values() for scope in scopes})
            operations.append((method.upper(), template, [p["name"] for p in operation.get("parameters", [])
                                                          if p["in"] == "path"], declared))
    return operations


def _universe() -> set[str]:
    return {scope for factory, _ in SERVICES.values() for *_, declared in _operations(factory())
            for scope in declared} - {SIGNED_IN}


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_operation_declares_the_one_scope_it_needs(service):
    factory, _ = SERVICES[service]
    undeclared = [(method, template, declared) for method, template, _, declared in _operations(factory())
                  if (method, template) not in PUBLIC and len(declared) != 1]
    assert not undeclared, f"operations without exactly one declared scope: {undeclared}"


@pytest.mark.parametrize("service", list(SERVICES))
async def test_every_declared_scope_is_enforced_for_api_clients(service, make_settings, issuer, tmp_path):
    factory, settings_class = SERVICES[service]
    extra = {"import_spool_dir": tmp_path} if service == "registry" else {}
    app = factory(await make_settings(settings_class, **extra), verifier=issuer.verifier())
    universe = _universe()
    assert {"registry:read", "registry:write", "referral:read", "referral:write", "reports:read"} <= universe

    def client(scopes: set[str]) -> dict[str, str]:
        return issuer.headers(Role.INTEGRATION, regencies=("35.09",), scopes=frozenset(scopes), subject="client-x")

    async with running(app) as api:
        for method, template, names, declared in _operations(app):
            if (method, template) in PUBLIC or declared == [SIGNED_IN]:
                continue
            [scope] = declared
            path = _path(template, names)
            body = {} if method != "GET" else None
            refused = await api.request(method, path, headers=client(universe - {scope}), json=body)
            assert refused.status_code == 403, (method, template, refused.text[:200])
            assert refused.json()["type"].endswith("/insufficient-scope"), (method, template, refused.text[:200])
            allowed = await api.request(method, path, headers=client({scope}), json=body)
            assert not (allowed.status_code == 403 and allowed.json()["type"].endswith("/insufficient-scope")), \
                (method, template, allowed.text[:200])


def test_every_declared_scope_is_in_the_catalogue_a_client_is_granted_from():
    """A client is granted scopes from API_SCOPES (the issuer refuses others): every scope an
    operation declares is there, with what it allows, except the audit log (national admins only)."""
    assert _universe() - {"audit:read"} == set(API_SCOPES)
    assert all(API_SCOPES.values())
