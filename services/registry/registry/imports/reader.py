"""Streams rows out of an uploaded CSV or XLSX file without loading it whole."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

XLSX_MAGIC = b"PK\x03\x04"


def detect_format(path: Path, filename: str) -> str:
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head == XLSX_MAGIC or filename.lower().endswith(".xlsx"):
        return "xlsx"
    return "csv"


def rows(path: Path, file_format: str) -> Iterator[list]:
    """The header row first, then every data row, as lists of cell values."""
    if file_format == "xlsx":
        yield from _xlsx_rows(path)
    else:
        yield from _csv_rows(path)


def _csv_rows(path: Path) -> Iterator[list]:
    with open(path, "rb") as raw:
        sample = raw.read(64 * 1024)
    encoding = "utf-8-sig" if sample.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        text = sample.decode(encoding)
    except UnicodeDecodeError:
        encoding, text = "cp1252", sample.decode("cp1252", errors="replace")
    try:
        delimiter = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    with open(path, newline="", encoding=encoding, errors="replace") as handle:
        yield from csv.reader(handle, delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list]:
    from openpyxl import load_workbook

    with open(path, "rb") as handle:  # a handle: openpyxl judges a path by its extension
        workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()
