"""A kabupaten's referral rules (`KabupatenRules`: parallel offers, SLA hours, whether weekends
count): read with the service's defaults where the district set none, and changed by the district."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from referral.models import KabupatenRulesRow
from referral.settings import ReferralSettings
from sprpa_shared.auth.principal import Principal
from sprpa_shared.db import fetch


@dataclass(frozen=True)
class KabupatenRules:
    """What the fan-out follows in one kabupaten."""

    parallel_offers: int
    sla_hours: int
    weekends_count: bool
    version: int = 0  # 0: the service defaults, never set by the district


def defaults(settings: ReferralSettings) -> KabupatenRules:
    return KabupatenRules(settings.default_parallel_offers, settings.default_sla_hours, settings.default_weekends_count)


async def rules_for(session: AsyncSession, settings: ReferralSettings, regency_code: str,
                    *, lock: bool = False) -> KabupatenRules:
    rows = await fetch(session, _LOCKED if lock else _RULES, {"regency": regency_code}, unlocked=not lock)
    return rules_in(rows[0]["rules"] if rows else None, settings)


# The rules as one array, so that another read can carry them as a column (`RULES_COLUMN`: the flag's
# candidates, a round trip fewer on its path); NULL where the district set none.
_ARRAY = "ARRAY[parallel_offers, sla_hours, weekends_count::integer, version]"
_RULES = text(f"SELECT {_ARRAY} AS rules FROM regency_settings WHERE regency_code = :regency")
_LOCKED = text(_RULES.text + " FOR UPDATE")
RULES_COLUMN = f"(SELECT {_ARRAY} FROM regency_settings WHERE regency_code = :regency) AS kabupaten_rules"


def rules_in(column: list[int] | None, settings: ReferralSettings) -> KabupatenRules:
    """The rules as `rules_for` and `RULES_COLUMN` read them."""
    if column is None:
        return defaults(settings)
    parallel_offers, sla_hours, weekends_count, version = column
    return KabupatenRules(parallel_offers, sla_hours, bool(weekends_count), version)


async def change(session: AsyncSession, *, regency_code: str, rules: KabupatenRules, principal: Principal,
                 now: datetime) -> KabupatenRules:
    row = await session.get(KabupatenRulesRow, regency_code, with_for_update=True)
    if row is None:
        row = KabupatenRulesRow(regency_code=regency_code, parallel_offers=rules.parallel_offers,
                              sla_hours=rules.sla_hours, weekends_count=rules.weekends_count, version=1,
                              updated_at=now, updated_by=principal.subject)
    else:
        row.parallel_offers, row.sla_hours, row.weekends_count = (rules.parallel_offers, rules.sla_hours,
                                                                  rules.weekends_count)
        row.version += 1
        row.updated_at, row.updated_by = now, principal.subject
    session.add(row)
    await session.flush()
    return KabupatenRules(row.parallel_offers, row.sla_hours, row.weekends_count, row.version)
