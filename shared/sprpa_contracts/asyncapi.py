"""The AsyncAPI 3.0 document of the event catalogue: `python -m sprpa_contracts.asyncapi`."""

from __future__ import annotations

import json
import sys

from sprpa_contracts.events import CATALOGUE
from sprpa_shared.events.envelope import Envelope


def _channel_address(model) -> str:
    return f"sprpa.{model.source_service}.{model.entity}.{model.action}.{{province}}.{{regency}}"


def document() -> dict:
    channels, operations, messages, schemas = {}, {}, {}, {}
    envelope_schema = Envelope.model_json_schema()
    for model in CATALOGUE:
        key = model.event_type.replace(".", "_")
        schemas[key] = model.model_json_schema(ref_template="#/components/schemas/{model}")
        messages[key] = {
            "name": model.event_type,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/cloudevents+json",
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/CloudEventsEnvelope"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": model.event_type},
                            "data": {"$ref": f"#/components/schemas/{key}"},
                        },
                    },
                ]
            },
        }
        channels[key] = {
            "address": _channel_address(model),
            "parameters": {
                "province": {"description": "two-digit province code, `_` when national"},
                "regency": {"description": "two-digit regency part of the kabupaten code, `_` when national"},
            },
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        operations[f"publish_{key}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": f"Published by the {model.source_service} service through its outbox",
        }
    schemas["CloudEventsEnvelope"] = envelope_schema
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "SPRPA events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 over NATS JetStream. Events carry ids and codes, never personal data.",
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


if __name__ == "__main__":
    json.dump(document(), sys.stdout, indent=2)
    sys.stdout.write("\n")
