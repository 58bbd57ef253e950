"""The child's events, built here for every path that changes a child: registration and edits
through the API, an assessment, a visit, a transfer and the import.

An event carries the codes reports count a child by, never a name, NIK or note: each field the
contract declares is taken from the child's field of the same name, and the rest derive from the
birth date and the classification. A field added to the child and to the contract needs nothing here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from registry.children.models import Child
from sprpa_contracts.events import ChildRegistered, ChildUpdated
from sprpa_shared.events.envelope import EventData
from sprpa_shared.events.outbox import emit

# The worst forms and hazards behind a classification: the kind of exploitation a child is grouped by.
BASIS_PREFIXES = ("worst_form.", "hazard.")
_DERIVED = frozenset({"child_id", "changed", "birth_year", "birth_month", "classification", "classification_basis"})


def classification_basis(classification: dict) -> list[str]:
    """The worst forms and hazards behind a classification (`as_dict`'s shape), as reason codes."""
    return [reason["code"] for reason in classification.get("reasons", [])
            if reason["code"].startswith(BASIS_PREFIXES)]


def _copied(event: type[EventData]) -> tuple[str, ...]:
    return tuple(name for name in event.model_fields if name not in _DERIVED)


_COPIED = {ChildRegistered: _copied(ChildRegistered), ChildUpdated: _copied(ChildUpdated)}


def _codes(event: type[EventData], child: Any, classification: dict) -> dict:
    """`child` is the stored child, or a valid import row's fields (a ChildCreate)."""
    return {
        **{name: getattr(child, name) for name in _COPIED[event]},
        "birth_year": child.birth_date.year,
        "birth_month": f"{child.birth_date:%Y-%m}",
        "classification": classification["result"],
        "classification_basis": classification_basis(classification),
    }


def registered(child_id: uuid.UUID, child: Any, classification: dict, **given: Any) -> ChildRegistered:
    """`child.registered`; `given` overrides a field the row does not carry (the import's channel)."""
    return ChildRegistered(child_id=child_id, **{**_codes(ChildRegistered, child, classification), **given})


def registered_payload(child_id: uuid.UUID, row: Any, classification: dict, **given: Any) -> dict:
    """`registered(...).model_dump(mode="json")` built directly from an import row its own schema
    validated: an import announces every row, and a validated model per row, dumped again, was a
    tenth of what staging a batch cost (issue 27). tests/test_imports.py holds the two equal."""
    payload = dict(zip(_COPIED[ChildRegistered], _registered_fields(row), strict=True))
    birth = row.birth_date
    payload.update(child_id=str(child_id), birth_year=birth.year, birth_month=f"{birth.year:04d}-{birth.month:02d}",
                   classification=classification["result"],
                   classification_basis=classification_basis(classification), **given)
    if payload["household_id"] is not None:
        payload["household_id"] = str(payload["household_id"])
    payload["mapping_categories"] = list(map(str, payload["mapping_categories"]))  # a StrEnum's str is its value
    return payload


_registered_fields = attrgetter(*_COPIED[ChildRegistered])


async def announce_registered(session: AsyncSession, child: Child, *, now: datetime) -> None:
    await emit(session, registered(child.id, child, child.classification), at=now)


async def announce_update(session: AsyncSession, child: Child, *, changed: list[str], now: datetime) -> None:
    """`child.updated`: which fields changed (never their values), and the codes reports count by."""
    await emit(session, ChildUpdated(child_id=child.id, changed=changed,
                                     **_codes(ChildUpdated, child, child.classification)), at=now)
