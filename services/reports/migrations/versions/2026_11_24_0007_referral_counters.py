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

from reports.readmodels import counting
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
        counting.HOURS_BUCKET_V1,
        # The coarse bucket of a fine one: its leading digit at its magnitude (3.4 -> 3, 47 -> 40,
        # 0.6 -> 0). It never decreases as the fine bucket grows, and holds ten fine buckets at most.
        counting.HOURS_COARSE_V1,
        # What one referral counts towards (under its category and its provider, when it was offered).
        counting.REFERRAL_KEYS_V1,
        # Every fact a row counts towards: the moment it counts at, under its category and under its
        # provider. `kind` is 'referral' (a row of rm_referrals), 'needs' (rm_needs: a need counts
        # once, under its category) or 'provider_needs' (rm_need_providers: once per provider).
        counting.REFERRAL_FACTS_V1,
        # The old row's facts count -1 and the new row's +1, on the day and in the month they count
        # at (the UTC month, as the summary's counters: `rm_child_month` of migration 0006); written in
        # key order (no deadlock cycle between consumers).
        counting.REFERRALS_COUNTED_V1,
        # A referral offered for a need makes (or moves earlier, or marks served) the need's rows.
        counting.NEEDS_MERGED_V1,
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
        counting.REFERRAL_COUNTS_REFILL_V1,
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
