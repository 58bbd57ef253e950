"""Exports open safely in a spreadsheet (issue 19, point 8): a text cell that starts like a formula
(=, +, -, @, tab, carriage return) is written as text, with a leading apostrophe, in CSV and
XLSX; numbers stay numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from reports.tables import Table, to_csv, to_xlsx

HOSTILE = ["=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def _table() -> Table:
    rows = [{"organization": name, "count": 7} for name in HOSTILE] + [{"organization": "Yayasan -", "count": -5}]
    return Table(name="by_provider", columns=["organization", "count"], rows=rows, shares=None)


def test_formula_leading_cells_are_text_in_csv():
    text = to_csv([_table()], "en").decode("utf-8-sig")
    cells = [row[1] for row in csv.reader(io.StringIO(text, newline="")) if row and row[0] == "by_provider"]
    assert cells == ["'" + name for name in HOSTILE] + ["Yayasan -"]
    assert "-5" in text.splitlines()[-1], "numbers are written as numbers"


def test_formula_leading_cells_are_text_in_xlsx():
    sheet = load_workbook(io.BytesIO(to_xlsx([_table()], "en", title="t")))["by_provider"]
    values = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    # XML reads a carriage return back as a line feed; the apostrophe is what matters
    assert values == ["'" + name.replace("\r", "\n") for name in HOSTILE] + ["Yayasan -"]
    assert [cell.data_type for cell in sheet["A"][1:]] == ["s"] * (len(HOSTILE) + 1)
    assert sheet.cell(row=len(HOSTILE) + 2, column=2).value == -5
