"""Every code a person can see has an Indonesian and an English label (issue 25, point 1): this walks
every enumeration of the contracts (event fields, catalogue, eligibility) and of every service's API
(its schemas and its query parameters) and fails on one that no kind of VOCABULARY names, unless it
is listed below with the reason nobody reads it as a word."""

from __future__ import annotations

import enum
import typing

from pydantic import BaseModel

from sprpa_contracts import catalogue, eligibility, events
from sprpa_contracts.labels import VOCABULARY
from tests.security.test_authentication_everywhere import SERVICES

NOT_WORDS = {
    frozenset({"added", "withdrawn"}): "an event's kind of change; the pages show the need's status",
    frozenset({"csv", "xlsx"}): "file formats, the same in every language",
    frozenset({"csv", "json", "xlsx"}): "file formats, the same in every language",
    frozenset({"csv", "json", "pdf", "xlsx"}): "file formats, the same in every language",
    frozenset({"en", "id"}): "language codes a page passes to a report",
    frozenset({"WIB", "WITA", "WIT"}): "Indonesia's zone abbreviations, written so in both languages",
    frozenset({"one", "several", "none"}): "how a place name resolved, for programs; a person sees the places",
    frozenset({"invalid_client", "invalid_grant", "invalid_request", "temporarily_unavailable",
               "unsupported_grant_type"}): "OAuth error codes (RFC 6749), for programs",
}


def _values(annotation) -> set[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return {value for value in typing.get_args(annotation) if isinstance(value, str)}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return {member.value for member in annotation}
    return set().union(*(_values(argument) for argument in typing.get_args(annotation)))


def _contracts() -> dict[str, set[str]]:
    found = {}
    for module in (events, catalogue, eligibility):
        for name, thing in vars(module).items():
            if isinstance(thing, type) and issubclass(thing, BaseModel) and thing is not BaseModel:
                found |= {f"{module.__name__}.{name}.{field}": values for field, info in thing.model_fields.items()
                          if (values := _values(info.annotation))}
            elif (isinstance(thing, type) and issubclass(thing, enum.Enum)) or typing.get_origin(thing) is \
                    typing.Literal:
                found[f"{module.__name__}.{name}"] = _values(thing)
    return found


def _walk(node, where: str, found: dict[str, set[str]]) -> None:
    if isinstance(node, dict):
        if node.get("enum") and all(isinstance(value, str) for value in node["enum"]):
            found[where] = set(node["enum"])
        for key, value in node.items():
            _walk(value, f"{where}.{key}", found)
    elif isinstance(node, list):
        for value in node:
            _walk(value, where, found)


def _apis() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for service, (factory, _) in SERVICES.items():
        document = factory().openapi()
        _walk(document.get("components", {}).get("schemas", {}), service, found)
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                for parameter in operation.get("parameters", []):
                    _walk(parameter.get("schema", {}), f"{service} {method.upper()} {path} ?{parameter['name']}",
                          found)
    return found


def test_the_walk_sees_the_enumerations():
    everything = _contracts() | _apis()
    assert len(everything) > 60
    assert {"offered", "accepted"} <= everything["sprpa_contracts.events.ReferralStatusChanged.status"]


def test_every_enumeration_has_both_labels():
    unlabelled = {}
    for where, values in (_contracts() | _apis()).items():
        if frozenset(values) in NOT_WORDS:
            continue
        if not any(values <= set(labels) for labels in VOCABULARY.values()):
            unlabelled[where] = sorted(values)
    assert not unlabelled, f"codes without a label in sprpa_contracts/labels.py: {unlabelled}"
    for kind, labels in VOCABULARY.items():
        for code, (indonesian, english) in labels.items():
            assert indonesian.strip() and english.strip(), f"{kind}.{code}"
