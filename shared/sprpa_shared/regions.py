"""The official Kemendagri region list, from the pinned `idn-area-data` npm package (ODbL).

Every service that places things (children, providers, MOUs) keeps its own `regions` table
loaded from the same files: services share no database.

The files come from `node_modules/idn-area-data/data/` (installed by `make`), or from
SPRPA_REGION_DATA_DIR. Loading is a migration step: it runs once per database, in one
transaction, with COPY; a new package version gets a new migration.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

PACKAGE = "idn-area-data"
LICENCE = "ODbL-1.0"
ATTRIBUTION = "Region codes and names from idn-area-data (https://github.com/fityannugroho/idn-area-data), ODbL 1.0"
FILES = (("provinces.csv", 1, None), ("regencies.csv", 2, "province_code"),
         ("districts.csv", 3, "regency_code"), ("villages.csv", 4, "district_code"))


_PREFIXES = re.compile(
    r"^(provinsi|prov|kabupaten|kab|kota administrasi|kota adm|kecamatan|kec|distrik|desa|kelurahan|kel)\b\.?\s*"
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

# DDL for a service's first places migration; 'sprpa:reference' keeps it across test resets.
REGIONS_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE TABLE regions (
        code        text PRIMARY KEY,
        level       smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
        parent_code text REFERENCES regions (code),
        name        text NOT NULL,
        search_name text NOT NULL
    )""",
    "CREATE INDEX regions_parent ON regions (parent_code, name)",
    "CREATE INDEX regions_search ON regions USING gin (search_name gin_trgm_ops)",
    "COMMENT ON TABLE regions IS 'sprpa:reference'",
    """
    CREATE TABLE region_datasets (
        package     text NOT NULL,
        version     text NOT NULL,
        licence     text NOT NULL,
        attribution text NOT NULL,
        places      integer NOT NULL,
        loaded_at   timestamptz NOT NULL DEFAULT now()
    )""",
    "COMMENT ON TABLE region_datasets IS 'sprpa:reference'",
)


def normalise(name: str) -> str:
    """Lower case, administrative prefix dropped, spaces and punctuation removed."""
    return _NOT_ALNUM.sub("", _PREFIXES.sub("", name.strip().lower()))


def create_and_load(op) -> None:
    """For a migration: the regions tables, filled from the dataset in the same transaction."""
    for statement in REGIONS_DDL:
        op.execute(statement)
    op.get_bind().connection.dbapi_connection.run_async(load)


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
