"""The rules a stored child must satisfy, each failure naming its field (pure; lookups are passed in)."""

from __future__ import annotations

from datetime import date

from registry.children.nik import check_nik


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def rule_errors(
    *,
    village_code: str,
    birth_date: date,
    sex: str,
    nik: str | None,
    today: date,
    village_exists: bool,
    nik_district_exists: bool,
) -> list[dict]:
    errors = []
    if not village_exists:
        errors.append({"field": "village_code", "message": f"{village_code} is not an official desa/kelurahan"})
    if birth_date > today:
        errors.append({"field": "birth_date", "message": "birth date is in the future"})
    elif age_on(birth_date, today) >= 18:
        errors.append({"field": "birth_date", "message": "the person is 18 or older: not a child"})
    if nik:
        problems = check_nik(nik, birth_date=birth_date, sex=sex, district_exists=nik_district_exists)
        errors += [{"field": "nik", "message": problem.message, "code": problem.code} for problem in problems]
    return errors
