"""CloudEvents 1.0 JSON envelope and the base every catalogue event model extends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from sprpa_shared.ids import new_id


class EventData(BaseModel):
    """The `data` of one event type. Subclasses name the service, the `entity` and the `action`,
    and the field the event is `about`; the type follows: `sprpa.<entity>.<action>.v1` (a class
    may set another `event_type`, for a new version). Subclasses document the event.

    Events carry identifiers, codes and categories: never names, NIK, addresses or notes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    event_type: ClassVar[str]
    source_service: ClassVar[str]
    entity: ClassVar[str]
    action: ClassVar[str]
    about: ClassVar[str | None] = None  # the field naming the entity: the CloudEvents `subject`

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__ and "entity" in dir(cls) and "action" in dir(cls):
            cls.event_type = f"sprpa.{cls.entity}.{cls.action}.v1"

    @classmethod
    def subject_filter(cls) -> str:
        """The NATS subjects of every event of this type, wherever it happened."""
        return f"sprpa.{cls.source_service}.{cls.entity}.{cls.action}.>"

    def subject(self) -> str:
        """`sprpa.<service>.<entity>.<event>.<province>.<regency>`; place parts from `place_code()`."""
        province, regency = _place_parts(self.place_code())
        return f"sprpa.{self.source_service}.{self.entity}.{self.action}.{province}.{regency}"

    def place_code(self) -> str | None:
        """The regency (or finer) code the event belongs to, for the subject; None means national."""
        return None

    def cloud_subject(self) -> str | None:
        """The CloudEvents `subject`: the id of the entity the event is about."""
        return str(getattr(self, self.about)) if self.about else None


def subject_regency(subject: str) -> str | None:
    """The kabupaten a subject carries (`<province>.<regency>`, as `EventData.subject` made it), or
    None when it names none (a national or a province's event)."""
    province, regency = subject.rsplit(".", 2)[1:]
    return None if "_" in (province, regency) else f"{province}.{regency}"


def _place_parts(code: str | None) -> tuple[str, str]:
    if not code:
        return "_", "_"
    parts = code.split(".")
    province = parts[0]
    regency = parts[1] if len(parts) > 1 else "_"
    return province, regency


class Envelope(BaseModel):
    """A CloudEvents 1.0 structured-mode JSON event."""

    model_config = ConfigDict(extra="allow")

    specversion: str = "1.0"
    id: uuid.UUID = Field(default_factory=new_id)
    source: str
    type: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    datacontenttype: str = "application/json"
    traceparent: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(cls, data: EventData, *, time: datetime | None = None, traceparent: str | None = None) -> Envelope:
        return cls(
            source=f"/sprpa/{data.source_service}",
            type=data.event_type,
            time=time or datetime.now(UTC),
            subject=data.cloud_subject(),
            traceparent=traceparent,
            data=data.model_dump(mode="json"),
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)
