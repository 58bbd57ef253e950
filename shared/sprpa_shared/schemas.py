"""Deriving one API shape from another, so that a resource's fields are declared once."""

from __future__ import annotations

from typing import Any, cast

from pydantic import BaseModel, create_model
from pydantic.fields import FieldInfo


def optional_fields(model: type[BaseModel], name: str, doc: str) -> type[BaseModel]:
    """A partial update of `model`: each of its fields, with its checks, optional and unset by
    default (`model_dump(exclude_unset=True)` gives what the caller sent). A field may be left out,
    but given null only where `model` allows null: the default is never validated, what is sent is."""
    fields = {
        field: (cast(Any, info.annotation), FieldInfo.merge_field_infos(info, default=None, default_factory=None))
        for field, info in model.model_fields.items()
    }
    derived = create_model(name, __config__=model.model_config, __doc__=doc, __module__=model.__module__,
                           **fields)  # type: ignore[call-overload]
    return derived
