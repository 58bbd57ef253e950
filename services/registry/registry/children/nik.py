"""Structure of a NIK (Nomor Induk Kependudukan): what can be checked without Dukcapil.

16 digits: 1-6 the kecamatan code of registration (35.09.11 -> 350911), 7-12 the birth date
as DDMMYY with 40 added to the day for women and girls, 13-16 a serial number (not 0000).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class NikProblem:
    code: str
    message: str


def district_code_of(nik: str | None) -> str | None:
    """The kecamatan code in digits 1-6 of a well-formed NIK (35.09.11), None for anything else."""
    if not nik or len(nik) != 16 or not nik.isdigit():
        return None
    return f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}"


def check_nik(nik: str, *, birth_date: date, sex: str, district_exists: bool) -> list[NikProblem]:
    """Every way the NIK disagrees with its own structure or with the child's birth date and sex."""
    if len(nik) != 16 or not nik.isdigit():
        return [NikProblem("nik.format", "NIK must be exactly 16 digits")]
    problems = []
    if not district_exists:
        problems.append(
            NikProblem("nik.district", f"digits 1-6 ({nik[:6]}) are not a kecamatan code ({district_code_of(nik)})")
        )
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    if female:
        day -= 40
    try:
        encoded = date(_century(year, birth_date) + year, month, day)
    except ValueError:
        problems.append(NikProblem("nik.birth_date", f"digits 7-12 ({nik[6:12]}) are not a valid date"))
    else:
        if (encoded.day, encoded.month, encoded.year % 100) != (
            birth_date.day,
            birth_date.month,
            birth_date.year % 100,
        ):
            problems.append(
                NikProblem(
                    "nik.birth_date",
                    f"digits 7-12 encode {encoded.day:02d}-{encoded.month:02d}-{year:02d}, "
                    f"not the birth date {birth_date.isoformat()}",
                )
            )
    if female != (sex == "female"):
        problems.append(
            NikProblem(
                "nik.sex",
                "the day in digits 7-8 has 40 added, which marks a female"
                if female
                else "for a girl the day in digits 7-8 has 40 added",
            )
        )
    if nik[12:] == "0000":
        problems.append(NikProblem("nik.serial", "digits 13-16 cannot be 0000"))
    return problems


def _century(two_digit_year: int, birth_date: date) -> int:
    return (birth_date.year // 100) * 100 if birth_date.year % 100 == two_digit_year else 2000
