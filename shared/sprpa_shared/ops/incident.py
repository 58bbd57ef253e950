"""Whose records an incident touched: for the breach notification UU 27/2022 requires within 3 x 24
hours (docs/breach.md), read from every service's audit log.

    python -m sprpa_shared.ops.incident --from 2026-11-29T22:00:00+07:00 --to 2026-11-30T06:00:00+07:00 \
        [--actor op.jember] [--address 203.0.113.9] [--csv]

Database URLs come from the services' settings (SPRPA_<SERVICE>_DATABASE_URL), as the backup's do.
The answer names children by their pseudonymous id only, with the kabupaten, desa and counts of
accesses per service, so the district can find the families to tell through the registry, under
authorisation, without the list itself becoming another copy of their data.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime

import asyncpg

from sprpa_shared.ops.backup import Targets

AUDITED = ("registry", "referral", "reports", "web")
_TOUCHED = """
SELECT c.child_id, count(*) AS accesses, min(at) AS first_at, max(at) AS last_at,
       array_agg(DISTINCT actor ORDER BY actor) AS actors, array_agg(DISTINCT action ORDER BY action) AS actions
FROM audit_log a CROSS JOIN LATERAL unnest(coalesce(a.child_ids, ARRAY[a.child_id])) AS c (child_id)
WHERE at >= $1 AND at < $2 AND c.child_id IS NOT NULL AND coalesce(outcome, 'allowed') = 'allowed'
  AND ($3::text IS NULL OR actor = $3) AND ($4::text IS NULL OR client_ip = $4)
GROUP BY c.child_id
"""
_PLACES = "SELECT id, village_code FROM children WHERE id = ANY($1::uuid[])"


@dataclass
class Touched:
    """One child whose record the window's accesses reached."""

    child_id: uuid.UUID
    village_code: str | None = None
    accesses: dict[str, int] = field(default_factory=dict)
    first_at: datetime | None = None
    last_at: datetime | None = None
    actors: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)

    def row(self) -> dict:
        data = asdict(self)
        data.update(child_id=str(self.child_id), regency_code=self.village_code[:5] if self.village_code else None,
                    first_at=self.first_at.isoformat() if self.first_at else None,
                    last_at=self.last_at.isoformat() if self.last_at else None,
                    actors=sorted(self.actors), actions=sorted(self.actions))
        return data


async def touched(databases: dict[str, str], *, since: datetime, until: datetime, actor: str | None = None,
                  address: str | None = None) -> list[Touched]:
    """Every child whose record was read or changed in [since, until), by the actor or from the
    address when given, across the audit logs of `databases` (service: URL)."""
    found: dict[uuid.UUID, Touched] = {}
    for service, url in databases.items():
        if service not in AUDITED:
            continue
        connection = await asyncpg.connect(url)
        try:
            for row in await connection.fetch(_TOUCHED, since, until, actor, address):
                entry = found.setdefault(row["child_id"], Touched(row["child_id"]))
                entry.accesses[service] = row["accesses"]
                entry.first_at = min(filter(None, (entry.first_at, row["first_at"])))
                entry.last_at = max(filter(None, (entry.last_at, row["last_at"])))
                entry.actors.update(row["actors"])
                entry.actions.update(row["actions"])
        finally:
            await connection.close()
    if found and "registry" in databases:
        connection = await asyncpg.connect(databases["registry"])
        try:
            for row in await connection.fetch(_PLACES, list(found)):
                found[row["id"]].village_code = row["village_code"]
        finally:
            await connection.close()
    return sorted(found.values(), key=lambda entry: (entry.village_code or "", str(entry.child_id)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sprpa_shared.ops.incident", description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="since", type=datetime.fromisoformat, required=True,
                        help="start of the incident window, ISO 8601 with its zone")
    parser.add_argument("--to", dest="until", type=datetime.fromisoformat, required=True)
    parser.add_argument("--actor", help="only what this subject (a username, client:<id>) did")
    parser.add_argument("--address", help="only what came from this client address")
    parser.add_argument("--csv", action="store_true", help="CSV instead of JSON")
    args = parser.parse_args(argv)
    if args.since.tzinfo is None or args.until.tzinfo is None:
        parser.error("give --from and --to with their zone (e.g. +07:00 for WIB)")
    if args.since >= args.until:
        parser.error("--from must be before --to")
    rows = [entry.row() for entry in asyncio.run(touched(
        Targets.from_settings().databases, since=args.since, until=args.until, actor=args.actor,
        address=args.address))]
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["child_id", "regency_code", "village_code", "accesses", "first_at", "last_at", "actors",
                         "actions"])
        for row in rows:
            writer.writerow([row["child_id"], row["regency_code"], row["village_code"],
                             sum(row["accesses"].values()), row["first_at"], row["last_at"],
                             " ".join(row["actors"]), "; ".join(row["actions"])])
    else:
        json.dump({"from": args.since.isoformat(), "to": args.until.isoformat(), "children": len(rows),
                   "touched": rows}, sys.stdout, indent=2)
        print()


if __name__ == "__main__":
    main()
