"""Report tables: counts, percentages computed from them, small-cell suppression, and exports.

Percentages have one decimal and add up to exactly 100.0 across a breakdown (largest
remainder), so a printed table never sums to 99.9. They are computed when the report is made,
never stored.

Small cells: for the `analyst` role and public exports, counts from 1 to threshold-1 are shown
as `<threshold`, and when a breakdown would hide only one cell, the next smallest is hidden too
(complementary suppression), so no hidden cell can be recovered from the total.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from openpyxl import Workbook

from sprpa_contracts.labels import label
from sprpa_shared.text import spreadsheet_cell


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[dict]
    counts: tuple[str, ...] = ("count",)  # the columns holding counts (suppressible)
    shares: str | None = "percent"  # the percentage column computed from the first count column
    notes: list[str] = field(default_factory=list)
    # Columns computed from counts of the same row (a percentage of a target, a median, points),
    # each with the counts it comes from: hidden whenever one of those is (beside a visible target
    # or denominator, it would give the hidden count back).
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Headline figures that add up a column of this table: hidden when a cell of it is.
    totals: dict[str, str] = field(default_factory=dict)

    def sources(self) -> dict[str, tuple[str, ...]]:
        """Every derived column with its counts, the share column included."""
        return {**({self.shares: self.counts[:1]} if self.shares else {}), **self.derived}

    def to_json(self) -> dict:
        return {"columns": self.columns, "rows": self.rows, **({"notes": self.notes} if self.notes else {})}


def shares(counts: list[int]) -> list[float | None]:
    """One-decimal percentages of the total that add up to exactly 100.0 (largest remainder)."""
    total = sum(counts)
    if total == 0:
        return [None for _ in counts]
    tenths = [Decimal(count * 1000) / total for count in counts]
    floors = [int(t.to_integral_value(rounding=ROUND_FLOOR)) for t in tenths]
    short = 1000 - sum(floors)
    by_remainder = sorted(range(len(counts)), key=lambda i: (-(tenths[i] - floors[i]), i))
    for index in by_remainder[:short]:
        floors[index] += 1
    return [floor / 10 for floor in floors]


def breakdown(name: str, key: str, counts: dict[str, int], *, order: list[str] | None = None) -> Table:
    keys = order if order is not None else sorted(counts)
    values = [counts.get(k, 0) for k in keys]
    percents = shares(values)
    return Table(name, [key, "count", "percent"],
                 [{key: k, "count": v, "percent": p} for k, v, p in zip(keys, values, percents, strict=True)])


def suppress(table: Table, threshold: int) -> Table:
    """Hide counts from 1 to threshold-1 (and their percentages), with complementary suppression."""
    hidden_label = f"<{threshold}"
    rows = [dict(row) for row in table.rows]
    for column in table.counts:
        small = [i for i, row in enumerate(rows) if isinstance(row.get(column), int) and 0 < row[column] < threshold]
        if len(small) == 1:  # one hidden cell could be recovered from the total: hide the next smallest too
            others = sorted((row[column], i) for i, row in enumerate(rows)
                            if i not in small and isinstance(row.get(column), int) and row[column] > 0)
            small += [others[0][1]] if others else []
        for index in small:
            rows[index][column] = hidden_label
            for derived, sources in table.sources().items():
                if column in sources and derived in rows[index]:
                    rows[index][derived] = None
    notes = table.notes + [f"counts below {threshold} are shown as {hidden_label}, and what is computed from "
                           "them is left out"] if rows != table.rows else table.notes
    return Table(table.name, table.columns, rows, table.counts, table.shares, notes, table.derived, table.totals)


def suppress_headline(headline: dict, tables: list[Table], suppressed: list[Table], threshold: int) -> dict:
    """The headline as the suppressed tables allow: small counts hidden, and a total hidden when a
    cell it adds up was hidden (the total less the cells shown would give it back)."""
    shown = {key: (f"<{threshold}" if isinstance(value, int) and 0 < value < threshold else value)
             for key, value in headline.items()}
    for table, after in zip(tables, suppressed, strict=True):
        for key, column in table.totals.items():
            if key in shown and any(row.get(column) != hidden.get(column)
                                    for row, hidden in zip(table.rows, after.rows, strict=True)):
                shown[key] = None
    return shown


HEADERS: dict[str, tuple[str, str]] = {  # column key: (Bahasa Indonesia, English)
    "count": ("Jumlah", "Count"), "percent": ("Persen", "Percent"),
    "sex": ("Jenis kelamin", "Sex"), "age_band": ("Kelompok umur", "Age band"), "age": ("Umur", "Age"),
    "kecamatan": ("Kecamatan", "Kecamatan"), "desa": ("Desa/kelurahan", "Village"),
    "place": ("Wilayah", "Place"),
    "mapping_category": ("Kategori pemetaan", "Mapping category"),
    "classification": ("Klasifikasi", "Classification"), "status": ("Status kasus", "Case status"),
    "category": ("Kategori layanan", "Service category"), "organization_id": ("ID lembaga", "Organisation id"),
    "organization": ("Lembaga", "Organisation"),
    "offered": ("Ditawarkan", "Offered"), "accepted": ("Diterima", "Accepted"), "declined": ("Ditolak", "Declined"),
    "expired": ("Kedaluwarsa", "Expired"), "completed": ("Selesai", "Completed"),
    "needs": ("Kebutuhan", "Needs"), "needs_served": ("Kebutuhan terlayani", "Needs served"),
    "share_served": ("Persen terlayani", "Share served"),
    "median_hours_to_accept": ("Median jam hingga diterima", "Median hours to accept"),
    "median_hours_to_complete": ("Median jam hingga selesai", "Median hours to complete"),
    "reason": ("Alasan", "Reason"), "gaps": ("Kesenjangan", "Gaps"),
    "withdrawn": ("Ditarik dari pekerjaan", "Withdrawn"), "withdrawn_target": ("Target ditarik", "Withdrawn target"),
    "withdrawn_percent": ("Capaian ditarik (%)", "Withdrawn (% of target)"),
    "prevented": ("Dicegah", "Prevented"), "prevented_target": ("Target dicegah", "Prevented target"),
    "prevented_percent": ("Capaian dicegah (%)", "Prevented (% of target)"),
    "relapsed": ("Kembali bekerja", "Relapsed"),
    "mapped": ("Anak terpetakan", "Children mapped"), "mapping_target": ("Target pemetaan", "Mapping target"),
    "table": ("Tabel", "Table"),
    "indicator": ("Indikator", "Indicator"), "name": ("Nama", "Name"), "weight": ("Bobot", "Weight"),
    "source": ("Sumber", "Source"), "numerator": ("Pembilang", "Numerator"), "denominator": ("Penyebut", "Denominator"),
    "achievement_percent": ("Capaian (%)", "Achievement (%)"), "points": ("Nilai", "Points"),
    "evidence": ("Bukti", "Evidence"), "school_status": ("Status sekolah saat masuk", "School status at intake"),
    "course_type": ("Jenis kursus", "Course type"), "living_arrangement": ("Pengasuhan", "Living arrangement"),
    "sessions": ("Sesi", "Sessions"), "identified_through": ("Cara teridentifikasi", "How identified"),
    "classification_basis": ("Jenis eksploitasi/bahaya", "Exploitation or hazard type"),
    "target_indicator": ("Indikator", "Indicator"), "in_period": ("Dalam periode", "In the period"),
    "age_group": ("Kelompok umur", "Age group"),
    "to_date": ("Sampai saat ini", "To date"), "target": ("Target", "Target"),
    "of_target_percent": ("Capaian (% target)", "Achieved (% of target)"),
    "activity_kind": ("Jenis kegiatan", "Activity kind"), "activities": ("Kegiatan", "Activities"),
    "anonymous_reach": ("Peserta (tanpa nama)", "Participants (anonymous)"),
    "registered_children": ("Anak terdaftar yang ikut", "Registered children who took part"),
    "served": ("Terlayani", "Served"), "prevention_basis": ("Dasar pencegahan", "Prevented through"),
    "cost_category": ("Pengeluaran untuk", "Spent on"), "amount_idr": ("Jumlah (Rp)", "Amount (IDR)"),
    "children": ("Anak", "Children"), "funding_source": ("Sumber dana", "Funding source"),
    "institution_type": ("Lembaga", "Institution"), "formed": ("Terbentuk", "Formed"),
    "decreed": ("Ber-SK", "Decreed"), "active": ("Aktif", "Active"),
    "child_id": ("ID anak", "Child id"), "prevented_on": ("Tanggal dicegah", "Prevented on"),
}


# Columns holding codes: in an export their cells read as words in the export's language, with
# the codes kept in a column of their own beside them (`<column>_code`).
CODED: dict[str, str] = {  # column: vocabulary kind (sprpa_contracts.labels)
    "sex": "sex", "classification": "classification", "status": "case_status", "category": "service",
    "mapping_category": "mapping_category", "reason": "gap_reason", "course_type": "course_type",
    "living_arrangement": "living_arrangement", "school_status": "school_status",
    "identified_through": "identified_through", "classification_basis": "classification_basis",
    "target_indicator": "report_indicator", "activity_kind": "activity_kind", "age_group": "age_band",
    "prevention_basis": "prevention_basis", "cost_category": "cost_category", "funding_source": "funding_source",
    "institution_type": "institution_type",
}
PLACES = ("place", "kecamatan", "desa")  # columns holding region codes: named from the official list


def header(column: str, lang: str) -> str:
    if column.endswith("_code") and column.removesuffix("_code") in (*CODED, *PLACES):
        indonesian, english = HEADERS.get(column.removesuffix("_code"), (column, column))
        return f"Kode {indonesian.lower()}" if lang == "id" else f"{english} code"
    indonesian, english = HEADERS.get(column, (column, column))
    return indonesian if lang == "id" else english


def readable(table: Table, lang: str, names: dict[str, str]) -> Table:
    """The table as a person reads it in `lang`: coded values as words, region codes as names, each
    code kept in a `<column>_code` column beside it. Cells that are not codes stay as they are."""
    coded = [c for c in table.columns if c in CODED or c in PLACES]
    if not coded:
        return table
    columns = [out for c in table.columns for out in ((c, f"{c}_code") if c in coded else (c,))]
    rows = []
    for row in table.rows:
        out = dict(row)
        for column in coded:
            value = row.get(column)
            out[f"{column}_code"] = value
            if isinstance(value, str):
                out[column] = names.get(value, value) if column in PLACES else label(CODED[column], value, lang)
        rows.append(out)
    return Table(table.name, columns, rows, table.counts, table.shares, table.notes, table.derived, table.totals)


def place_codes(tables: list[Table]) -> set[str]:
    """Every region code an export names."""
    return {row[c] for table in tables for row in table.rows for c in PLACES
            if c in table.columns and isinstance(row.get(c), str)}


def _cell(value):
    return "" if value is None else spreadsheet_cell(value)


def to_csv(tables: list[Table], lang: str) -> bytes:
    """All tables in one CSV: a first column names the table, each table with its own header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180; and a lone CR in a cell gets quoted
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([header("table", lang)] + [header(c, lang) for c in table.columns])
        for row in table.rows:
            writer.writerow([table.name] + [_cell(row.get(c)) for c in table.columns])
    return out.getvalue().encode("utf-8-sig")  # a BOM so spreadsheet programs read UTF-8


def to_xlsx(tables: list[Table], lang: str, title: str) -> bytes:
    """One sheet per table, headers in the chosen language."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(table.name[:31])
        sheet.append([header(c, lang) for c in table.columns])
        for row in table.rows:
            sheet.append([_cell(row.get(c)) for c in table.columns])
        for note in table.notes:
            sheet.append([spreadsheet_cell(note)])
    workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
