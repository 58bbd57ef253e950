"""Report scenario: a kabupaten's summary and referral-performance reports over 1,000,000
children and 3,000,000 referrals, through the API, beside the raw SQL aggregate over the same
rows in the same run (one GROUP BY scan of each table, the least any report must do).

The read models are filled in PostgreSQL with generate_series (what the consumers would hold
after that many events; feeding them through the events is the import and flag scenarios).
"""

from __future__ import annotations

import statistics
import time

import asyncpg
import httpx

from bench import import_bench
from bench.stack import BenchStack

_CHILDREN = """
INSERT INTO rm_children (child_id, village_code, sex, birth_year, mapping_categories, classification,
                         school_at_intake, school_status, living_arrangement, registered_at, status, status_at,
                         changed_at)
SELECT gen_random_uuid(), ($1::text[])[1 + i % cardinality($1::text[])], (ARRAY['female', 'male'])[1 + i % 2],
       2008 + i % 12, ARRAY['child_labour'],
       (ARRAY['worst_form', 'child_labour', 'at_risk', 'permitted_light_work'])[1 + i % 4],
       'out_of_school', 'out_of_school', 'with_family', now() - (i % 700) * interval '1 day',
       (ARRAY['identified', 'assessed', 'flagged', 'referred', 'in_remediation', 'withdrawn'])[1 + i % 6],
       now(), now()
FROM generate_series(1, $2) AS i
"""
# Three referrals per need (in one need of three, the third offered again 9 days later), each to a
# provider drawn at random; needs scattered over 600 days to the second; hours to acceptance and
# completion drawn to the second, so the counters hold as many distinct values as real data would.
_REFERRALS = """
INSERT INTO rm_referrals (referral_id, case_id, need_id, child_id, village_code, category, organization_id,
                          backbone, status, outcome, offered_at, accepted_at, ended_at, changed_at)
SELECT gen_random_uuid(), gen_random_uuid(), ('00000000-0000-0000-0000-' || lpad(to_hex(i / 3), 12, '0'))::uuid,
       gen_random_uuid(), ($1::text[])[1 + (i / 3) % cardinality($1::text[])],
       (ARRAY['education.equivalency', 'psychosocial.counselling', 'skills.vocational_course'])[1 + (i / 3) % 3],
       ('00000000-0000-0000-0000-0000000000' || lpad(floor(random() * 40)::text, 2, '0'))::uuid, false,
       (ARRAY['offered', 'accepted', 'declined', 'expired', 'completed'])[1 + i % 5],
       CASE WHEN i % 5 = 4 THEN 'service_delivered' END, offered,
       CASE WHEN i % 5 IN (1, 4) THEN offered + random() * interval '72 hours' END,
       CASE WHEN i % 5 IN (2, 3, 4) THEN offered + random() * interval '900 hours' END,
       now()
FROM generate_series(1, $2) AS i
CROSS JOIN LATERAL (SELECT now() - ((i / 3)::bigint * 7919 % 600) * interval '1 day'
                           - ((i / 3)::bigint * 104729 % 86400) * interval '1 second'
                           + CASE WHEN i % 9 = 8 THEN interval '9 days' ELSE interval '0' END AS offered) o
"""
_RAW = {
    "summary": "SELECT sex, count(*) FROM rm_children WHERE village_code LIKE $1 GROUP BY sex",
    "referrals": "SELECT category, status, count(*) FROM rm_referrals WHERE village_code LIKE $1 "
                 "GROUP BY category, status",
}


async def _fill(stack: BenchStack, children: int, referrals: int) -> float:
    codes = await import_bench.villages(stack)
    started = time.perf_counter()
    connection = await asyncpg.connect(stack.database_url("reports"))
    try:
        # a bulk load, as a restore would do it: rows first, then the reports' counters from them
        await connection.execute("ALTER TABLE rm_children DISABLE TRIGGER USER")
        await connection.execute(_CHILDREN, codes, children)
        await connection.execute("ALTER TABLE rm_children ENABLE TRIGGER USER")
        await connection.execute("SELECT rm_child_counts_refill()")
        await connection.execute("ALTER TABLE rm_referrals DISABLE TRIGGER USER")
        await connection.execute("SELECT setseed(0.2026)")
        await connection.execute(_REFERRALS, codes, referrals)
        await connection.execute("ALTER TABLE rm_referrals ENABLE TRIGGER USER")
        await connection.execute("SELECT rm_referral_counts_refill()")
        await connection.execute("ANALYZE rm_children")
        await connection.execute("ANALYZE rm_child_counts")
        for table in ("rm_referrals", "rm_referral_counts", "rm_referral_hours", "rm_needs", "rm_need_providers"):
            await connection.execute(f"ANALYZE {table}")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def _timed(call, runs: int) -> list[float]:
    await call()  # warm the caches once; every figure is then a median of the runs
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def run(stack: BenchStack, *, children: int, referrals: int, runs: int) -> dict:
    fill_seconds = await _fill(stack, children, referrals)
    token = stack.token("--role", "district_operator", "--regency", "35.09")
    results = {"children_rows": children, "referral_rows": referrals, "fill_seconds": round(fill_seconds, 1)}
    connection = await asyncpg.connect(stack.database_url("reports"))
    async with httpx.AsyncClient(base_url="http://127.0.0.1:8104", timeout=300,
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        try:
            for report, raw_sql in _RAW.items():
                async def through_api(report=report) -> None:
                    response = await api.get(f"/api/v1/reports/{report}", params={"place": "35.09"})
                    response.raise_for_status()

                async def raw(raw_sql=raw_sql) -> None:
                    await connection.fetch(raw_sql, "35.09.%")

                api_ms = statistics.median(await _timed(through_api, runs))
                raw_ms = statistics.median(await _timed(raw, runs))
                results[report] = {"api_p50_ms": round(api_ms, 1), "raw_sql_p50_ms": round(raw_ms, 1),
                                   "ratio_to_raw": round(api_ms / raw_ms, 2)}
        finally:
            await connection.close()
    results["goal"] = "under 300 ms and no slower than the raw aggregate"
    return results
