"""One survey row to one child record, or the reasons it cannot be one."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

import asyncpg
from pydantic import ValidationError
from pydantic_core import to_json

from registry.children.nik import district_code_of
from registry.children.rules import rule_errors
from registry.children.schemas import ChildCreate
from registry.children.service import as_dict, classify_fields
from registry.classification.rules import Classification
from registry.imports.columns import parse_row
from sprpa_shared.auth.principal import Principal


@dataclass(frozen=True)
class Places:
    """The official codes, in memory for the length of an import."""

    villages: frozenset[str]
    districts: frozenset[str]


async def load_places(connection: asyncpg.Connection) -> Places:
    """Every desa and kecamatan code, for the length of an import."""
    rows = await connection.fetch("SELECT code, level FROM regions WHERE level IN (3, 4)")
    return Places(villages=frozenset(r["code"] for r in rows if r["level"] == 4),
                  districts=frozenset(r["code"] for r in rows if r["level"] == 3))


@dataclass
class ValidRow:
    row_number: int
    data: ChildCreate
    classification: dict  # as stored (`as_dict`): shared by the rows classified alike, never changed
    classification_json: str


def validate_row(
    row_number: int, values: dict, *, places: Places, resolve, principal: Principal, today: date
) -> tuple[ValidRow | None, list[dict]]:
    """`resolve(village, district, regency)` returns (code, None) or (None, why)."""
    parsed = parse_row(values)
    errors = list(parsed.errors)
    if parsed.names:
        code, why = resolve(*parsed.names)
        if code:
            parsed.body["village_code"] = code
        else:
            errors.append({"field": "village", "message": why})
    if errors:
        return None, errors
    try:
        data = ChildCreate.model_validate(parsed.body)
    except ValidationError as exc:
        return None, [
            {"field": ".".join(str(part) for part in error["loc"]) or "row", "message": error["msg"]}
            for error in exc.errors()
        ]
    errors = rule_errors(
        village_code=data.village_code,
        birth_date=data.birth_date,
        sex=data.sex,
        nik=data.nik,
        today=today,
        village_exists=data.village_code in places.villages,
        nik_district_exists=district_code_of(data.nik) in places.districts,
    )
    if not errors and not principal.covers_place(data.village_code):
        errors.append({"field": "village_code", "message": f"{data.village_code} is outside your area"})
    if errors:
        return None, errors
    work = data.work.model_dump(mode="json") if data.work else None
    classification = classify_fields(
        work=work, birth_date=data.birth_date, school_status=data.school_status,
        mapping_categories=[category.value for category in data.mapping_categories], today=today,
    )
    return ValidRow(row_number, data, *_stored(classification)), []


@functools.lru_cache(maxsize=4096)
def _stored(classification: Classification) -> tuple[dict, str]:
    stored = as_dict(classification)
    return stored, to_json(stored).decode()
