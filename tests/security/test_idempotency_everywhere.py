"""Idempotency-Key on every create (issue 19, point 9): read from the apps' own OpenAPI documents,
every POST that answers 201 takes the header, so a create added tomorrow without it fails here."""

from __future__ import annotations

import pytest

from tests.security.test_authentication_everywhere import SERVICES

# Creates whose retry is already safe without a key, each with its reason.
EXEMPT = {
    ("registry", "/api/v1/children/{child_id}/flag"): "a child has one open flag: a second is a 409",
    ("web", "/api/v1/auth/token"): "a token request creates nothing lasting",
    ("web", "/api/v1/accounts"): "a username is unique: a retry is a 409 naming it (the one-time code cannot be "
                                 "shown twice; a reset gives a new one)",
    ("web", "/api/v1/clients"): "a client id is unique: a retry is a 409 (the secret cannot be shown twice)",
}


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_create_takes_an_idempotency_key(service):
    factory, _ = SERVICES[service]
    missing = []
    for path, operations in factory().openapi()["paths"].items():
        post = operations.get("post")
        if post is None or "201" not in post.get("responses", {}) or (service, path) in EXEMPT:
            continue
        headers = {p["name"].lower() for p in post.get("parameters", []) if p["in"] == "header"}
        if "idempotency-key" not in headers:
            missing.append(path)
    assert not missing, f"creates without Idempotency-Key: {missing}"
