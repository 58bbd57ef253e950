"""Survey columns and values, in English or Indonesian, mapped onto the child fields (pure).

A row becomes the body of a ChildCreate plus, where the village is given by name, the names
to resolve. Unknown columns are ignored; a value that cannot be read is an error for that field.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime

HEADERS = {
    "full_name": ("full_name", "name", "nama", "nama_lengkap", "nama_anak"),
    "sex": ("sex", "gender", "jenis_kelamin", "jk", "l_p"),
    "birth_date": ("birth_date", "date_of_birth", "tanggal_lahir", "tgl_lahir"),
    "nik": ("nik", "no_nik", "nomor_nik"),
    "village_code": ("village_code", "kode_desa", "kode_kelurahan", "kode_wilayah"),
    "village": ("village", "desa", "kelurahan", "desa_kelurahan", "nama_desa"),
    "district": ("district", "kecamatan", "nama_kecamatan"),
    "regency": ("regency", "kabupaten", "kota", "kabupaten_kota", "nama_kabupaten"),
    "school_status": ("school_status", "status_sekolah", "sekolah"),
    "living_arrangement": ("living_arrangement", "tinggal_dengan", "pengasuhan"),
    "mapping_categories": ("mapping_categories", "categories", "kategori", "kategori_anak"),
    "working": ("working", "bekerja", "is_working"),
    "sector": ("sector", "sektor", "sektor_kerja", "jenis_pekerjaan"),
    "hours_per_day": ("hours_per_day", "jam_per_hari", "jam_kerja_per_hari"),
    "hours_per_week": ("hours_per_week", "jam_per_minggu", "jam_kerja_per_minggu"),
    "night_work": ("night_work", "kerja_malam"),
    "during_school_hours": ("during_school_hours", "kerja_saat_jam_sekolah", "jam_sekolah"),
    "parental_consent": ("parental_consent", "izin_orang_tua"),
    "hazards": ("hazards", "bahaya", "pekerjaan_berbahaya"),
    "worst_forms": ("worst_forms", "bpta", "bentuk_terburuk"),
}
_BY_HEADER = {alias: name for name, aliases in HEADERS.items() for alias in aliases}

SEX = {"female": "female", "f": "female", "p": "female", "perempuan": "female", "wanita": "female",
       "male": "male", "m": "male", "l": "male", "laki_laki": "male", "lakilaki": "male", "pria": "male"}
SCHOOL = {"in_school": "in_school", "sekolah": "in_school", "masih_sekolah": "in_school", "bersekolah": "in_school",
          "out_of_school": "out_of_school", "putus_sekolah": "out_of_school", "tidak_sekolah": "out_of_school",
          "never_enrolled": "never_enrolled", "tidak_pernah_sekolah": "never_enrolled",
          "belum_pernah_sekolah": "never_enrolled", "equivalency": "equivalency", "kesetaraan": "equivalency",
          "paket_a": "equivalency", "paket_b": "equivalency", "paket_c": "equivalency", "kejar_paket": "equivalency"}
LIVING = {"with_family": "with_family", "keluarga": "with_family", "orang_tua": "with_family",
          "extended_family": "extended_family", "kerabat": "extended_family", "keluarga_besar": "extended_family",
          "alternative_care": "alternative_care", "panti": "alternative_care", "lksa": "alternative_care",
          "independent": "independent", "mandiri": "independent", "sendiri": "independent",
          "street": "street", "jalanan": "street"}
CATEGORIES = {"pekerja_anak": "child_labour", "rentan_bekerja": "at_risk", "anak_rentan_bekerja": "at_risk",
              "disabilitas": "disability", "berkebutuhan_khusus": "special_needs", "orang_tua_tunggal": "single_parent",
              "yatim": "orphan", "piatu": "orphan", "yatim_piatu": "orphan", "berpotensi": "potential"}
YES = {"yes", "y", "ya", "true", "1", "iya"}
NO = {"no", "n", "tidak", "false", "0", "tdk", ""}
_TOKEN = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=4096)
def key(text: str) -> str:
    """A header or a choice as a token ("Jenis Kelamin" -> "jenis_kelamin"); a survey repeats a few
    hundred distinct values, so each is worked out once."""
    return _TOKEN.sub("_", str(text).strip().lower()).strip("_")


def map_headers(headers: list[str]) -> dict[int, str]:
    """Column index -> field name, for the columns we know."""
    return {index: _BY_HEADER[key(header)] for index, header in enumerate(headers) if key(header) in _BY_HEADER}


@dataclass
class ParsedRow:
    body: dict = field(default_factory=dict)
    names: tuple[str | None, str | None, str | None] | None = None  # village, kecamatan, kabupaten
    errors: list[dict] = field(default_factory=list)


def _text(value) -> str:
    if value.__class__ is str:  # a CSV's every cell: the rest is for XLSX
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = _text(value)
    try:
        return date.fromisoformat(text).isoformat()  # the common case first: strptime is far slower
    except ValueError:
        pass
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def _choice(value, table: dict[str, str], what: str) -> str:
    token = key(_text(value))
    if token in table:  # each table maps its canonical values to themselves too
        return table[token]
    raise ValueError(f"{_text(value)!r} is not a known {what}")


def _flag(value) -> bool:
    token = key(_text(value))
    if token in YES:
        return True
    if token in NO:
        return False
    raise ValueError(f"{_text(value)!r} is not yes/no (ya/tidak)")


def _list(value, table: dict[str, str] | None = None) -> list[str]:
    items = [key(part) for part in re.split(r"[;,|]", _text(value)) if part.strip()]
    return [table.get(item, item) if table else item for item in items]


def _number(value) -> float:
    text = _text(value).replace(",", ".")
    try:
        return float(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a number") from exc


READERS = {
    "full_name": _text,
    "sex": lambda v: _choice(v, SEX, "sex (L/P)"),
    "birth_date": _date,
    "nik": lambda v: _text(v) or None,
    "village_code": _text,
    "school_status": lambda v: _choice(v, SCHOOL, "school status"),
    "living_arrangement": lambda v: _choice(v, LIVING, "living arrangement"),
    "mapping_categories": lambda v: _list(v, CATEGORIES),
}
WORK_READERS = {
    "sector": lambda v: key(_text(v)),
    "hours_per_day": _number,
    "hours_per_week": _number,
    "night_work": _flag,
    "during_school_hours": _flag,
    "parental_consent": _flag,
    "hazards": _list,
    "worst_forms": _list,
}


def parse_row(values: dict[str, object]) -> ParsedRow:
    """Field name -> cell value, into a ChildCreate body; each unreadable cell an error."""
    row = ParsedRow()
    for name, reader in READERS.items():
        if name in values and _text(values[name]) != "":
            try:
                row.body[name] = reader(values[name])
            except ValueError as exc:
                row.errors.append({"field": name, "message": str(exc)})
    row.body.setdefault("living_arrangement", "with_family")
    try:
        working = _flag(values.get("working")) if "working" in values else _text(values.get("sector")) != ""
    except ValueError as exc:
        row.errors.append({"field": "working", "message": str(exc)})
        working = False
    if working:
        work = {}
        for name, reader in WORK_READERS.items():
            if name in values and _text(values[name]) != "":
                try:
                    work[name] = reader(values[name])
                except ValueError as exc:
                    row.errors.append({"field": f"work.{name}", "message": str(exc)})
        row.body["work"] = work
    if "village_code" not in row.body and _text(values.get("village")):
        row.names = (_text(values.get("village")), _text(values.get("district")) or None,
                     _text(values.get("regency")) or None)
    return row
