"""The referral-performance counters (`rm_referral_counts`, `rm_referral_hours`, `rm_needs`,
`rm_need_providers`, kept by triggers) against an independent count of the referral rows, after
events applied by the real handler in any order: for whole kabupaten and provinces (counters
plus edge days), kecamatan and desa (rows only), and periods that start and end mid-month, on
month boundaries, inside a month."""

from __future__ import annotations

import random
import statistics
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from reports import builders
from reports.place import Period, parse
from reports.readmodels import handlers
from sprpa_contracts import events as ev
from sprpa_shared.db import transaction
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.testing.apps import database

VILLAGES = ["35.09.11.2007", "35.09.11.2001", "35.09.27.2002", "35.10.01.2001", "52.03.20.2006"]
CATEGORIES = ["education.equivalency", "psychosocial.counselling", "legal.aid"]
ORGS = [uuid.UUID(int=n) for n in range(301, 306)]
PERIODS = [
    (date(2000, 1, 1), date(2026, 11, 23)),  # the default: everything until today
    (date(2025, 3, 17), date(2026, 2, 9)),  # mid-month to mid-month
    (date(2025, 6, 1), date(2025, 8, 31)),  # whole months exactly
    (date(2025, 7, 5), date(2025, 7, 20)),  # inside one month
    (date(2026, 11, 1), date(2026, 11, 23)),  # the current month so far
]
PLACES = [None, "35", "35.09", "35.09.11", "35.09.11.2007"]
SERVED = ("completed", "service_delivered")


def _events(chance: random.Random) -> list[tuple[ev.ReferralStatusChanged, datetime]]:
    """Needs offered to one to three providers at once, some offered again weeks later (often in
    another month), each referral ending its own way."""
    out = []
    for _ in range(260):
        need, child, village = uuid.uuid4(), uuid.uuid4(), chance.choice(VILLAGES)
        category = chance.choice(CATEGORIES)
        first = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=chance.randrange(700 * 86400))
        rounds = [(first, chance.sample(ORGS, chance.randint(1, 3)))]
        if chance.random() < 0.3:
            rounds.append((first + timedelta(days=chance.randint(2, 40)), chance.sample(ORGS, 1)))
        for offered, orgs in rounds:
            for org in orgs:
                common = dict(referral_id=uuid.uuid4(), case_id=uuid.uuid4(), need_id=need, child_id=child,
                              village_code=village, need=category, organization_id=org, on=offered.date())
                out.append((ev.ReferralStatusChanged(status="offered", **common), offered))
                ending = chance.choice(["offered", "accepted", "declined", "expired", "completed", "moved_away"])
                if ending in ("declined", "expired"):
                    out.append((ev.ReferralStatusChanged(status=ending, **common),
                                offered + timedelta(seconds=chance.randrange(60, 72 * 3600))))
                elif ending != "offered":
                    accepted = offered + timedelta(seconds=chance.choice([180, 540, 3 * 3600, 0])
                                                   + chance.randrange(60, 80 * 3600))
                    out.append((ev.ReferralStatusChanged(status="accepted", **common), accepted))
                    if ending != "accepted":
                        ended = accepted + timedelta(seconds=chance.randrange(3600, 2000 * 3600))
                        outcome = "service_delivered" if ending == "completed" else "moved_away"
                        out.append((ev.ReferralStatusChanged(status="completed", outcome=outcome, **common), ended))
    out = [(event.model_copy(update={"on": at.date()}), at) for event, at in out]  # each dated the day it came
    chance.shuffle(out)  # the read model is the same whatever the order: so must the counters be
    return out


def _bucket(took: timedelta) -> Decimal:
    hours = Decimal(int(took.total_seconds() * 1_000_000)) / Decimal(3_600_000_000)
    step = next(step for limit, step in ((Decimal("9.95"), "0.1"), (Decimal("99.5"), "1"), (Decimal("995"), "1E+1"),
                                         (Decimal("9950"), "1E+2"), (Decimal("99500"), "1E+3"), (None, "1E+4"))
                if limit is None or hours < limit)
    return hours.quantize(Decimal(step), rounding=ROUND_HALF_UP)


def _median(values: list[Decimal]) -> float | None:
    return float(statistics.median(values).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)) if values else None


def _figures(referrals: list[dict], needs: list[bool]) -> dict:
    return {
        "offered": len(referrals),
        "accepted": sum(1 for r in referrals if r["accepted_at"]),
        **{status: sum(1 for r in referrals if r["status"] == status) for status in ("declined", "expired",
                                                                                     "completed")},
        "needs": len(needs), "needs_served": sum(needs),
        "share_served": round(sum(needs) * 100 / len(needs), 1) if needs else None,
        "median_hours_to_accept": _median([_bucket(r["accepted_at"] - r["offered_at"]) for r in referrals
                                           if r["accepted_at"]]),
        "median_hours_to_complete": _median([_bucket(r["ended_at"] - r["offered_at"]) for r in referrals
                                             if r["status"] == "completed"]),
    }


def _first_offers(rows: list[dict], key) -> list[tuple[dict, bool]]:
    """Each need (or need and provider): its first offer and whether any referral served it."""
    groups = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [(min(group, key=lambda r: (r["offered_at"], r["organization_id"])),
             any((r["status"], r["outcome"]) == SERVED for r in group)) for group in groups.values()]


def _independent(rows: list[dict], place: str | None, period: Period) -> tuple[dict, dict, dict]:
    start = datetime(period.start.year, period.start.month, period.start.day, tzinfo=UTC)
    end = datetime(period.end.year, period.end.month, period.end.day, tzinfo=UTC) + timedelta(days=1)

    def inside(row: dict, at: datetime) -> bool:
        return (place is None or row["village_code"] == place or row["village_code"].startswith(place + ".")) \
            and start <= at < end

    counted = [r for r in rows if inside(r, r["offered_at"])]
    needs = [(first, served) for first, served in _first_offers(rows, lambda r: r["need_id"])
             if inside(first, first["offered_at"])]
    at_provider = [(first, served) for first, served in
                   _first_offers(rows, lambda r: (r["need_id"], r["organization_id"]))
                   if inside(first, first["offered_at"])]
    by_category = {c: _figures([r for r in counted if r["category"] == c],
                               [s for f, s in needs if f["category"] == c])
                   for c in {r["category"] for r in counted}}
    by_provider = {str(o): _figures([r for r in counted if r["organization_id"] == o],
                                    [s for f, s in at_provider if f["organization_id"] == o])
                   for o in {r["organization_id"] for r in counted}}
    return _figures(counted, [s for _, s in needs]), by_category, by_provider


async def test_the_counters_give_the_same_referral_report_as_counting_the_rows(reports):
    app, _ = reports
    chance = random.Random(20261125)
    events = [Envelope.wrap(data, time=at) for data, at in _events(chance)]
    repeated = 0
    while events:  # in runs, as a consumer's fetch brings them: a referral may come twice in one
        if chance.random() < 0.3:  # every change of one need at once, as a flag's offers come
            need = events[0].data["need_id"]
            run = [envelope for envelope in events if envelope.data["need_id"] == need]
            events = [envelope for envelope in events if envelope.data["need_id"] != need]
        else:
            size = chance.choice((1, 1, 2, 4, 9))
            run, events = events[:size], events[size:]
        repeated += len(run) - len({envelope.data["referral_id"] for envelope in run})
        async with transaction(app.state.sessions) as session:  # as the consumer: what is kept is written
            await handlers.referrals_changed(session, run)
    assert repeated > 0, "some run holds two changes of one referral"
    async with database(app) as db:
        rows = [dict(r) for r in await db.fetch("SELECT * FROM rm_referrals")]
        assert len({r["need_id"] for r in rows}) == 260 and all(r["offered_at"] for r in rows)
        assert await db.fetchval("SELECT count(*) FROM rm_referral_counts WHERE n < 0") == 0
        tables = ("SELECT * FROM rm_referral_counts WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7",
                  "SELECT * FROM rm_referral_hours WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8",
                  "SELECT * FROM rm_needs ORDER BY 1", "SELECT * FROM rm_need_providers ORDER BY 1, 2")
        kept = [await db.fetch(query) for query in tables]
        await db.execute("SELECT rm_referral_counts_refill()")  # what a bulk load recounts: the same
        assert [await db.fetch(query) for query in tables] == kept

    for place in PLACES:
        for start, end in PERIODS:
            period = Period(start, end)
            async with app.state.sessions() as session:
                overall, tables = await builders.referral_performance(session, parse(place), period)
            expected, by_category, by_provider = _independent(rows, place, period)
            label = f"{place} {start}..{end}"
            assert overall == expected, label
            assert {r["category"]: {k: v for k, v in r.items() if k != "category"} for r in tables[0].rows} == \
                by_category, label
            assert {r["organization_id"]: {k: v for k, v in r.items() if k not in ("organization_id", "organization")}
                    for r in tables[1].rows} == by_provider, label
    everything = _independent(rows, None, Period(*PERIODS[0]))[0]
    assert 0 < everything["needs"] < everything["offered"]  # needs offered more than once were counted once


async def test_hours_buckets_keep_two_significant_figures_and_never_decrease(reports):
    app, _ = reports
    async with database(app) as db:
        named = await db.fetch("SELECT rm_hours_bucket(make_interval(secs => s)) AS bucket "
                               "FROM unnest($1::float8[]) WITH ORDINALITY AS t(s, i) ORDER BY i",
                               [h * 3600 for h in (0.05, 9.94, 9.96, 42.5, 99.4, 99.6, 994, 996, 1234)])
        assert [r["bucket"] for r in named] == [
            "0.1", "9.9", "10", "43", "99", "100", "990", "1000", "1200"]
        spread = await db.fetch("SELECT s, b.bucket, rm_hours_coarse(b.bucket) AS coarse "
                                "FROM generate_series(0, 20000 * 3600, 997) AS s "
                                "CROSS JOIN LATERAL (SELECT rm_hours_bucket(make_interval(secs => s)) AS bucket) b "
                                "ORDER BY s")
    buckets = [Decimal(r["bucket"]) for r in spread]
    assert buckets == sorted(buckets)
    assert buckets == [_bucket(timedelta(seconds=r["s"])) for r in spread]  # the test's reference agrees
    coarse = [Decimal(r["coarse"]) for r in spread]
    assert coarse == sorted(coarse)  # so the coarse bucket holding a median holds it among its fine ones
    fine_in = defaultdict(set)
    for r in spread:
        fine_in[r["coarse"]].add(r["bucket"])
    assert max(len(fine) for fine in fine_in.values()) <= 10
    assert {"0", "3", "40", "500", "7000", "10000"} <= set(fine_in)
