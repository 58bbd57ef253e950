"""The event catalogue: versioned types, place-carrying subjects, no personal data, an AsyncAPI document."""

from __future__ import annotations

import uuid

import jsonschema
import pytest
from pydantic import ValidationError

from sprpa_contracts.asyncapi import document
from sprpa_contracts.events import CATALOGUE, CaseFlagged
from sprpa_shared.events.envelope import Envelope

PERSONAL_FIELDS = {"full_name", "name", "nik", "address", "notes", "note", "birth_date", "phone"}


def test_every_event_type_is_versioned_and_unique():
    types = [model.event_type for model in CATALOGUE]
    assert len(types) == len(set(types))
    for event_type in types:
        assert event_type.startswith("sprpa.") and event_type.rsplit(".", 1)[-1].startswith("v")


def test_no_event_carries_personal_fields():
    for model in CATALOGUE:
        assert not PERSONAL_FIELDS & set(model.model_fields), model.__name__


def test_subject_carries_province_and_regency():
    event = CaseFlagged(child_id=uuid.uuid4(), village_code="52.08.02.2006", age=15, sex="male",
                        classification="worst_form", needs=["protection.safe_house"])
    assert event.subject() == "sprpa.registry.case.flagged.52.08"
    envelope = Envelope.wrap(event)
    assert envelope.specversion == "1.0" and envelope.source == "/sprpa/registry"
    assert envelope.id.version == 7 and envelope.subject == str(event.child_id)
    assert Envelope.from_bytes(envelope.to_bytes()) == envelope


def test_events_reject_unknown_fields_and_bad_values():
    with pytest.raises(ValidationError):
        CaseFlagged(child_id=uuid.uuid4(), village_code="35.09.11.2007", age=14, sex="female",
                    classification="child_labour", needs=["education.formal_school"], full_name="Siti")
    with pytest.raises(ValidationError):
        CaseFlagged(child_id=uuid.uuid4(), village_code="35.09.11.2007", age=18, sex="female",
                    classification="child_labour", needs=["education.formal_school"])


def test_asyncapi_document_describes_every_event_and_its_payload_validates():
    doc = document()
    assert doc["asyncapi"] == "3.0.0"
    assert {message["name"] for message in doc["components"]["messages"].values()} == {
        model.event_type for model in CATALOGUE
    }
    event = CaseFlagged(child_id=uuid.uuid4(), village_code="35.09.27.2002", age=12, sex="female",
                        classification="child_labour", needs=["education.formal_school", "civil.birth_certificate"])
    payload = Envelope.wrap(event).model_dump(mode="json")
    key = CaseFlagged.event_type.replace(".", "_")
    schema = {**doc["components"]["messages"][key]["payload"], "components": doc["components"]}
    jsonschema.validate(payload, schema)
    payload["data"]["age"] = 30
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(payload, schema)
