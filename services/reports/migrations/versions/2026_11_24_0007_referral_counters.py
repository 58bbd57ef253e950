"""Counters of the referral-performance report: referrals and needs per kabupaten, month of offer,
category and provider; hours in buckets of two significant figures.

- `rm_needs` holds one row per need: its category, desa and provider of its first offer, when
  that was, and whether any referral for it was completed with the service delivered.
  `rm_need_providers` holds the same per need and provider. A trigger on `rm_referrals` keeps
  both; their facts only grow (the earliest offer, served once served), so the rows are the same
  whatever order the events arrive in, and concurrent consumers merge instead of overwriting.
- `rm_referral_counts` holds, per kabupaten, day and month of offer, and per category and per
  provider, how many referrals were offered, accepted and reached each status, how many needs
  (and needs served) were first offered then, and how many took each coarse bucket of hours to
  acceptance and to completion (the leading digit: 0-1 h, 1-2 h, ... 10-20 h, ... 100-200 h).
  `rm_referral_hours` holds the fine buckets inside each coarse one (two significant figures),
  keyed so that the fine buckets of one coarse bucket are one index range.
  Triggers on the three tables keep both in the same transaction as the rows.

A report for a kabupaten or above sums the month counters of the whole months in its period and
the day counters of the days at its edges, then reads the fine buckets of only the coarse buckets
that hold a median; a kecamatan or desa report groups its own rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_NEED_TABLE = """
CREATE TABLE {table} (
    need_id          uuid NOT NULL,
    organization_id  uuid NOT NULL,
    village_code     text NOT NULL,
    category         text NOT NULL,
    first_offered_at timestamptz NOT NULL,
    served           boolean NOT NULL,
    PRIMARY KEY ({key})
)"""
# The earliest offer's provider and desa win (the lowest organisation id among offers made at once),
# and served stays served: the same row in any order.
_NEED_UPSERT = """
INSERT INTO {table} AS n (need_id, organization_id, village_code, category, first_offered_at, served)
VALUES (NEW.need_id, NEW.organization_id, NEW.village_code, NEW.category, NEW.offered_at, is_served)
ON CONFLICT ({key}) DO UPDATE SET
    organization_id = CASE WHEN (EXCLUDED.first_offered_at, EXCLUDED.organization_id)
                                < (n.first_offered_at, n.organization_id)
                           THEN EXCLUDED.organization_id ELSE n.organization_id END,
    village_code = CASE WHEN (EXCLUDED.first_offered_at, EXCLUDED.organization_id)
                             < (n.first_offered_at, n.organization_id)
                        THEN EXCLUDED.village_code ELSE n.village_code END,
    first_offered_at = LEAST(n.first_offered_at, EXCLUDED.first_offered_at),
    served = n.served OR EXCLUDED.served
WHERE (EXCLUDED.first_offered_at, EXCLUDED.organization_id) < (n.first_offered_at, n.organization_id)
   OR (EXCLUDED.served AND NOT n.served)"""


def upgrade() -> None:
    execute_all(op, [
        """
        CREATE TABLE rm_referral_counts (
            regency_code text COLLATE "C" NOT NULL,  -- bytewise: LIKE '35.%' is an index range
            span         text NOT NULL CHECK (span IN ('day', 'month')),
            starts       date NOT NULL,
            breakdown    text NOT NULL CHECK (breakdown IN ('category', 'provider')),
            key          text NOT NULL,
            dimension    text NOT NULL,
            value        text NOT NULL,
            n            integer NOT NULL,
            PRIMARY KEY (regency_code, span, starts, breakdown, key, dimension, value)
        )""",
        """
        CREATE TABLE rm_referral_hours (
            regency_code text COLLATE "C" NOT NULL,
            breakdown    text NOT NULL,
            key          text NOT NULL,
            dimension    text NOT NULL,
            coarse       text NOT NULL,
            span         text NOT NULL,
            starts       date NOT NULL,
            value        text NOT NULL,
            n            integer NOT NULL,
            PRIMARY KEY (regency_code, breakdown, key, dimension, coarse, span, starts, value)
        )""",
        _NEED_TABLE.format(table="rm_needs", key="need_id"),
        _NEED_TABLE.format(table="rm_need_providers", key="need_id, organization_id"),
        # a kecamatan or desa report reads its own rows
        "CREATE INDEX rm_needs_place ON rm_needs (village_code text_pattern_ops)",
        "CREATE INDEX rm_need_providers_place ON rm_need_providers (village_code text_pattern_ops)",
        # Hours rounded to two significant figures, never coarser than 0.1 h below 10 h: 0.1 h up
        # to 10 h, 1 h up to 100 h, 10 h up to 1,000 h, and so on (the limits are the half-steps,
        # so 9.97 h is 10, never 10.0). It never decreases as the hours grow, so the median of the
        # buckets is the bucket of the median (odd counts).
        """
        CREATE FUNCTION rm_hours_bucket(took interval) RETURNS text LANGUAGE sql IMMUTABLE AS $$
            SELECT (CASE WHEN h < 9.95 THEN round(h, 1) WHEN h < 99.5 THEN round(h, 0)
                         WHEN h < 995 THEN round(h, -1) WHEN h < 9950 THEN round(h, -2)
                         WHEN h < 99500 THEN round(h, -3) ELSE round(h, -4) END)::text
            FROM (SELECT EXTRACT(EPOCH FROM took) / 3600 AS h) hours
        $$""",
        # The coarse bucket of a fine one: its leading digit at its magnitude (3.4 -> 3, 47 -> 40,
        # 0.6 -> 0). It never decreases as the fine bucket grows, and holds ten fine buckets at most.
        """
        CREATE FUNCTION rm_hours_coarse(bucket text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
            SELECT (CASE WHEN v < 1 THEN 0 ELSE trunc(v / 10 ^ floor(log(v))) * 10 ^ floor(log(v)) END)::int::text
            FROM (SELECT bucket::numeric AS v) fine
        $$""",
        # What one referral counts towards (under its category and its provider, when it was offered).
        """
        CREATE FUNCTION rm_referral_keys(status text, offered_at timestamptz, accepted_at timestamptz,
                                         ended_at timestamptz) RETURNS TABLE (dimension text, value text)
        LANGUAGE sql IMMUTABLE AS $$
            SELECT 'offered', '' WHERE offered_at IS NOT NULL
            UNION ALL SELECT 'status', status WHERE offered_at IS NOT NULL
            UNION ALL SELECT 'accepted', '' WHERE offered_at IS NOT NULL AND accepted_at IS NOT NULL
            UNION ALL SELECT 'hours_to_accept', rm_hours_bucket(accepted_at - offered_at)
                WHERE offered_at IS NOT NULL AND accepted_at IS NOT NULL
            UNION ALL SELECT 'hours_to_complete', rm_hours_bucket(ended_at - offered_at)
                WHERE offered_at IS NOT NULL AND status = 'completed' AND ended_at IS NOT NULL
        $$""",
        # Every fact a row counts towards: the moment it counts at, under its category and under its
        # provider. `kind` is 'referral' (a row of rm_referrals), 'needs' (rm_needs: a need counts
        # once, under its category) or 'provider_needs' (rm_need_providers: once per provider).
        """
        CREATE FUNCTION rm_referral_facts(kind text, r jsonb)
        RETURNS TABLE (at timestamptz, breakdown text, key text, dimension text, value text)
        LANGUAGE sql IMMUTABLE AS $$
            SELECT f.at, g.breakdown, g.key, k.dimension, k.value
            FROM (SELECT (CASE WHEN kind = 'referral' THEN r ->> 'offered_at'
                               ELSE r ->> 'first_offered_at' END)::timestamptz AS at) f
            CROSS JOIN LATERAL (VALUES ('category', r ->> 'category'),
                                       ('provider', r ->> 'organization_id')) g (breakdown, key)
            CROSS JOIN LATERAL (
                SELECT * FROM rm_referral_keys(r ->> 'status', (r ->> 'offered_at')::timestamptz,
                                               (r ->> 'accepted_at')::timestamptz, (r ->> 'ended_at')::timestamptz)
                WHERE kind = 'referral'
                UNION ALL SELECT 'needs', '' WHERE kind <> 'referral'
                UNION ALL SELECT 'needs_served', '' WHERE kind <> 'referral' AND (r ->> 'served')::boolean
            ) k
            WHERE r IS NOT NULL AND f.at IS NOT NULL
              AND (kind = 'referral' OR g.breakdown = CASE WHEN kind = 'needs' THEN 'category' ELSE 'provider' END)
        $$""",
        # The old row's facts count -1 and the new row's +1, on the day and in the month they count
        # at (the UTC month, as the summary's counters: `rm_child_month` of migration 0006); written in
        # key order (no deadlock cycle between consumers).
        """
        CREATE FUNCTION rm_referrals_counted() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            old_row jsonb;
            new_row jsonb;
        BEGIN
            IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
            IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
            WITH facts AS (
                SELECT left(changed.r ->> 'village_code', 5) AS regency_code, s.span, s.starts, f.breakdown, f.key,
                       f.dimension, f.value, sum(changed.d) AS n
                FROM (SELECT old_row AS r, -1 AS d UNION ALL SELECT new_row, 1) changed
                CROSS JOIN LATERAL rm_referral_facts(TG_ARGV[0], changed.r) f
                CROSS JOIN LATERAL (VALUES ('day', (f.at AT TIME ZONE 'UTC')::date),
                                           ('month', rm_child_month(f.at))) s (span, starts)
                GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(changed.d) <> 0
            ), fine AS (
                INSERT INTO rm_referral_hours AS h (regency_code, breakdown, key, dimension, coarse, span, starts,
                                                    value, n)
                SELECT regency_code, breakdown, key, dimension, rm_hours_coarse(value), span, starts, value, n
                FROM facts WHERE dimension LIKE 'hours%' ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
                ON CONFLICT (regency_code, breakdown, key, dimension, coarse, span, starts, value)
                DO UPDATE SET n = h.n + EXCLUDED.n
            )
            INSERT INTO rm_referral_counts AS c (regency_code, span, starts, breakdown, key, dimension, value, n)
            SELECT regency_code, span, starts, breakdown, key, dimension,
                   CASE WHEN dimension LIKE 'hours%' THEN rm_hours_coarse(value) ELSE value END, sum(n)
            FROM facts GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7
            ON CONFLICT (regency_code, span, starts, breakdown, key, dimension, value)
            DO UPDATE SET n = c.n + EXCLUDED.n;
            RETURN NULL;
        END $$""",
        # A referral offered for a need makes (or moves earlier, or marks served) the need's rows.
        f"""
        CREATE FUNCTION rm_needs_merged() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            is_served boolean := NEW.status = 'completed' AND NEW.outcome IS NOT DISTINCT FROM 'service_delivered';
        BEGIN
            IF NEW.need_id IS NULL OR NEW.offered_at IS NULL THEN RETURN NULL; END IF;
            {_NEED_UPSERT.format(table="rm_needs", key="need_id")};
            {_NEED_UPSERT.format(table="rm_need_providers", key="need_id, organization_id")};
            RETURN NULL;
        END $$""",
        """
        CREATE TRIGGER rm_referrals_counted AFTER INSERT OR DELETE ON rm_referrals
        FOR EACH ROW EXECUTE FUNCTION rm_referrals_counted('referral')""",
        """
        CREATE TRIGGER rm_referrals_recounted
        AFTER UPDATE OF village_code, category, organization_id, status, offered_at, accepted_at, ended_at
        ON rm_referrals FOR EACH ROW EXECUTE FUNCTION rm_referrals_counted('referral')""",
        """
        CREATE TRIGGER rm_referrals_needs AFTER INSERT OR UPDATE OF status, outcome, offered_at ON rm_referrals
        FOR EACH ROW EXECUTE FUNCTION rm_needs_merged()""",
        "CREATE TRIGGER rm_needs_counted AFTER INSERT OR UPDATE OR DELETE ON rm_needs "
        "FOR EACH ROW EXECUTE FUNCTION rm_referrals_counted('needs')",
        "CREATE TRIGGER rm_need_providers_counted AFTER INSERT OR UPDATE OR DELETE ON rm_need_providers "
        "FOR EACH ROW EXECUTE FUNCTION rm_referrals_counted('provider_needs')",
        # Everything again from the rows: the backfill here, and bulk loads that bypass the
        # triggers (ALTER TABLE rm_referrals DISABLE TRIGGER USER, load, SELECT rm_referral_counts_refill()).
        """
        CREATE FUNCTION rm_referral_counts_refill() RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            ALTER TABLE rm_needs DISABLE TRIGGER USER;
            ALTER TABLE rm_need_providers DISABLE TRIGGER USER;
            DELETE FROM rm_referral_counts;
            DELETE FROM rm_referral_hours;
            DELETE FROM rm_need_providers;
            DELETE FROM rm_needs;
            INSERT INTO rm_need_providers (need_id, organization_id, village_code, category, first_offered_at, served)
            SELECT DISTINCT ON (need_id, organization_id) need_id, organization_id, village_code, category,
                   offered_at, bool_or(status = 'completed' AND outcome IS NOT DISTINCT FROM 'service_delivered')
                       OVER (PARTITION BY need_id, organization_id)
            FROM rm_referrals WHERE need_id IS NOT NULL AND offered_at IS NOT NULL
            ORDER BY need_id, organization_id, offered_at;
            INSERT INTO rm_needs (need_id, organization_id, village_code, category, first_offered_at, served)
            SELECT DISTINCT ON (need_id) need_id, organization_id, village_code, category, first_offered_at,
                   bool_or(served) OVER (PARTITION BY need_id)
            FROM rm_need_providers ORDER BY need_id, first_offered_at, organization_id;
            -- the fine hours and the counts by day from the rows, then the months from the days
            CREATE TEMPORARY TABLE referral_facts ON COMMIT DROP AS
            SELECT left(x.village_code, 5) AS regency_code, 'day' AS span, (f.at AT TIME ZONE 'UTC')::date AS starts,
                   f.breakdown, f.key, f.dimension, f.value, count(*)::integer AS n
            FROM (SELECT r.village_code, 'referral' AS kind, to_jsonb(r) AS r FROM rm_referrals r
                  UNION ALL SELECT n.village_code, 'needs', to_jsonb(n) FROM rm_needs n
                  UNION ALL SELECT n.village_code, 'provider_needs', to_jsonb(n) FROM rm_need_providers n) x
            CROSS JOIN LATERAL rm_referral_facts(x.kind, x.r) f
            GROUP BY 1, 2, 3, 4, 5, 6, 7;
            INSERT INTO rm_referral_hours (regency_code, breakdown, key, dimension, coarse, span, starts, value, n)
            SELECT regency_code, breakdown, key, dimension, rm_hours_coarse(value), span, starts, value, n
            FROM referral_facts WHERE dimension LIKE 'hours%';
            INSERT INTO rm_referral_counts (regency_code, span, starts, breakdown, key, dimension, value, n)
            SELECT regency_code, span, starts, breakdown, key, dimension,
                   CASE WHEN dimension LIKE 'hours%' THEN rm_hours_coarse(value) ELSE value END, sum(n)
            FROM referral_facts GROUP BY 1, 2, 3, 4, 5, 6, 7;
            DROP TABLE referral_facts;
            INSERT INTO rm_referral_hours (regency_code, breakdown, key, dimension, coarse, span, starts, value, n)
            SELECT regency_code, breakdown, key, dimension, coarse, 'month', date_trunc('month', starts)::date, value,
                   sum(n)
            FROM rm_referral_hours WHERE span = 'day' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
            INSERT INTO rm_referral_counts (regency_code, span, starts, breakdown, key, dimension, value, n)
            SELECT regency_code, 'month', date_trunc('month', starts)::date, breakdown, key, dimension, value, sum(n)
            FROM rm_referral_counts WHERE span = 'day'
            GROUP BY 1, 2, 3, 4, 5, 6, 7;
            ALTER TABLE rm_needs ENABLE TRIGGER USER;
            ALTER TABLE rm_need_providers ENABLE TRIGGER USER;
        END $$""",
        "SELECT rm_referral_counts_refill()",
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP TRIGGER rm_need_providers_counted ON rm_need_providers",
        "DROP TRIGGER rm_needs_counted ON rm_needs",
        "DROP TRIGGER rm_referrals_needs ON rm_referrals",
        "DROP TRIGGER rm_referrals_recounted ON rm_referrals",
        "DROP TRIGGER rm_referrals_counted ON rm_referrals",
        "DROP FUNCTION rm_referral_counts_refill()",
        "DROP FUNCTION rm_needs_merged()",
        "DROP FUNCTION rm_referrals_counted()",
        "DROP FUNCTION rm_referral_facts(text, jsonb)",
        "DROP FUNCTION rm_referral_keys(text, timestamptz, timestamptz, timestamptz)",
        "DROP FUNCTION rm_hours_coarse(text)",
        "DROP FUNCTION rm_hours_bucket(interval)",
        "DROP TABLE rm_need_providers",
        "DROP TABLE rm_needs",
        "DROP TABLE rm_referral_hours",
        "DROP TABLE rm_referral_counts",
    ])
