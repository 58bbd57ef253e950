"""Loads the official region list from the pinned `idn-area-data` npm package (ODbL).

The files come from `node_modules/idn-area-data/data/` (installed by `make`), or from
SPRPA_REGION_DATA_DIR. Loading is a migration step: it runs once per database, in one
transaction, with COPY; a new package version gets a new migration.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from registry.places.names import normalise

PACKAGE = "idn-area-data"
LICENCE = "ODbL-1.0"
ATTRIBUTION = "Region codes and names from idn-area-data (https://github.com/fityannugroho/idn-area-data), ODbL 1.0"
FILES = (("provinces.csv", 1, None), ("regencies.csv", 2, "province_code"),
         ("districts.csv", 3, "regency_code"), ("villages.csv", 4, "district_code"))


def data_dir() -> Path:
    configured = os.environ.get("SPRPA_REGION_DATA_DIR")
    if configured:
        return Path(configured)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "node_modules" / PACKAGE / "data"
        if candidate.is_dir():
            return candidate
    raise RuntimeError(
        f"region data not found: run `make install` (npm package {PACKAGE}) or set SPRPA_REGION_DATA_DIR"
    )


def package_version(directory: Path) -> str:
    manifest = directory.parent / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else "unknown"


def rows(directory: Path):
    """(code, level, parent_code, name, search_name) for every place, parents before children."""
    for filename, level, parent_column in FILES:
        with open(directory / filename, newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                name = record["name"].strip()
                yield (record["code"], level, record[parent_column] if parent_column else None, name, normalise(name))


async def load(connection) -> int:
    """COPY every place into `regions` (asyncpg connection); returns how many were loaded."""
    directory = data_dir()
    records = list(rows(directory))
    await connection.copy_records_to_table(
        "regions", records=records, columns=["code", "level", "parent_code", "name", "search_name"]
    )
    await connection.execute(
        "INSERT INTO region_datasets (package, version, licence, attribution, places) VALUES ($1, $2, $3, $4, $5)",
        PACKAGE, package_version(directory), LICENCE, ATTRIBUTION, len(records),
    )
    return len(records)
