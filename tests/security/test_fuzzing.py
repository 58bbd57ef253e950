"""Fuzzing every operation of every service with Schemathesis, as a national admin (the role that
reaches the most code): no answer is a 5xx, and every documented answer matches its schema and
media type. Bounded here (FUZZ_EXAMPLES per operation, default 4); `make fuzz` runs 100.

The cases are generated first (Hypothesis, synchronously) and then sent through the app's own
ASGI client on the test's event loop, against real PostgreSQL and NATS.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from sprpa_shared.testing.apps import running
from tests.security.test_authentication_everywhere import SERVICES, _path

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def generated_cases(document: dict, per_operation: int) -> list:
    schema = schemathesis.openapi.from_dict(document)
    cases = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=per_operation, database=None, deadline=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy())
        def collect(case) -> None:
            cases.append(case)

        collect()
    return cases


@pytest.mark.parametrize("service", list(SERVICES))
async def test_fuzzed_requests_never_get_a_server_error_and_answers_match_their_schemas(
        service, make_settings, issuer, as_, tmp_path):
    factory, settings_class = SERVICES[service]
    extra = {"import_spool_dir": tmp_path} if service == "registry" else {}
    app = factory(await make_settings(settings_class, **extra), verifier=issuer.verifier())
    cases = generated_cases(app.openapi(), EXAMPLES)
    assert len(cases) >= EXAMPLES
    failures, unsendable = [], 0
    async with running(app) as client:
        for case in cases:
            kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=as_("admin"))
            kwargs.pop("follow_redirects", None)
            cookies = kwargs.pop("cookies", None)
            try:
                request = client.build_request(**kwargs, cookies=cookies)
                request.read()  # a multipart body is a stream: read now, so the checks can look at it
            except (TypeError, AttributeError):
                unsendable += 1  # e.g. a number generated where a multipart file goes: no client sends that
                continue
            response = await client.send(request)
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # noqa: BLE001 - every failure is collected and reported together
                failures.append(f"{case.method} {case.formatted_path}: {type(exc).__name__}: {str(exc)[:400]}")
    assert unsendable < len(cases) / 10, f"{unsendable} of {len(cases)} cases could not be sent"
    assert not failures, f"{len(failures)} of {len(cases)} fuzzed requests failed:\n" + "\n".join(failures[:20])


EXTREMES = {("string", "date"): ["9999-12-31", "0001-01-01"], ("string", "date-time"): ["9999-12-31T23:59:59Z"],
            ("integer", None): [str(2**63), "-1"]}


def _query_extremes(operation: dict, document: dict) -> list[dict[str, str]]:
    """One query per (parameter, extreme value) for the parameters whose type has extremes."""
    queries = []
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        schema = parameter.get("schema", {})
        options = schema.get("anyOf", [schema])
        for option in options:
            for value in EXTREMES.get((option.get("type"), option.get("format")), []):
                queries.append({parameter["name"]: value})
    return queries


@pytest.mark.parametrize("service", list(SERVICES))
async def test_extreme_dates_and_numbers_and_chunked_bodies_over_the_limit_never_get_a_server_error(
        service, make_settings, issuer, as_, tmp_path):
    """The classes the outside probe found: a report `to=9999-12-31`, and a request body over the limit
    sent chunked, without Content-Length. Every operation, both kinds."""
    factory, settings_class = SERVICES[service]
    extra = {"import_spool_dir": tmp_path} if service == "registry" else {}
    settings = await make_settings(settings_class, **extra)
    app = factory(settings, verifier=issuer.verifier())
    document = app.openapi()
    oversized = b'{"x": "' + b"a" * settings.max_body_bytes + b'"}'

    async def chunks():
        for start in range(0, len(oversized), 65536):
            yield oversized[start:start + 65536]

    failures, sent = [], 0
    async with running(app) as client:
        for template, operations in document["paths"].items():
            for method, operation in operations.items():
                names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
                path = _path(template, names)
                for query in _query_extremes(operation, document):
                    sent += 1
                    response = await client.request(method.upper(), path, params=query, headers=as_("admin"))
                    if response.status_code >= 500:
                        failures.append(f"{method.upper()} {template} {query}: {response.status_code}")
                if "application/json" in operation.get("requestBody", {}).get("content", {}):
                    sent += 1
                    response = await client.request(method.upper(), path, content=chunks(), headers={
                        **as_("admin"), "Content-Type": "application/json"})
                    if response.status_code != 413:
                        failures.append(f"{method.upper()} {template} chunked: {response.status_code}")
    assert sent > 3  # the web has few operations: dates of the audit query, and the token endpoint chunked
    assert not failures, "\n".join(failures)
