"""The referral report's counters count inserted rows once per statement, not once per row.

A flag's offers reach the reports as one INSERT into `rm_referrals`. With the row triggers of
0007 each offer then ran the counting query three times (for the referral, for its need and for
its need at the provider) with an upsert each: about 1.5 ms of PostgreSQL per offer, a third of
all the database time of a flag. Inserts into `rm_referrals`, `rm_needs` and
`rm_need_providers` are now counted by statement triggers over the inserted rows (transition
tables), grouped by counter, and the needs of a statement's offers are merged with one upsert
per table (grouped by need first: the earliest offer wins, served once any is served, as
before). Updates and deletes keep the row triggers (PostgreSQL gives no transition table to a
trigger on a column list); the counts and `rm_referral_counts_refill()` are unchanged.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The rows of one need (or of one need at one provider) merged first, as the row trigger merged
# them one by one: the earliest offer's provider and desa (lowest organisation id among offers
# made at once), served when any is.
_NEEDS_MERGED = """
INSERT INTO {table} AS n (need_id, organization_id, village_code, category, first_offered_at, served)
SELECT DISTINCT ON ({key}) need_id, organization_id, village_code, category, offered_at,
       bool_or(status = 'completed' AND outcome IS NOT DISTINCT FROM 'service_delivered')
           OVER (PARTITION BY {key})
FROM inserted WHERE need_id IS NOT NULL AND offered_at IS NOT NULL
ORDER BY {key}, offered_at, organization_id
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
        # The facts of a set of rows counted once each, as rm_referrals_counted() counts one row
        # (`kind` as there); written in key order (no deadlock cycle between consumers).
        """
        CREATE FUNCTION rm_referral_rows_counted(kind text, rows jsonb) RETURNS void LANGUAGE sql AS $$
            WITH facts AS (
                SELECT left(r ->> 'village_code', 5) AS regency_code, s.span, s.starts, f.breakdown, f.key,
                       f.dimension, f.value, count(*)::integer AS n
                FROM jsonb_array_elements(rows) r
                CROSS JOIN LATERAL rm_referral_facts(kind, r) f
                CROSS JOIN LATERAL (VALUES ('day', (f.at AT TIME ZONE 'UTC')::date),
                                           ('month', rm_child_month(f.at))) s (span, starts)
                GROUP BY 1, 2, 3, 4, 5, 6, 7
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
            FROM facts GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
            ON CONFLICT (regency_code, span, starts, breakdown, key, dimension, value)
            DO UPDATE SET n = c.n + EXCLUDED.n
        $$""",
        f"""
        CREATE FUNCTION rm_referrals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM rm_referral_rows_counted('referral', (SELECT jsonb_agg(to_jsonb(i)) FROM inserted i));
            {_NEEDS_MERGED.format(table="rm_need_providers", key="need_id, organization_id")};
            {_NEEDS_MERGED.format(table="rm_needs", key="need_id")};
            RETURN NULL;
        END $$""",
        """
        CREATE FUNCTION rm_need_rows_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM rm_referral_rows_counted(TG_ARGV[0], (SELECT jsonb_agg(to_jsonb(i)) FROM inserted i));
            RETURN NULL;
        END $$""",
        "DROP TRIGGER rm_referrals_counted ON rm_referrals",
        "DROP TRIGGER rm_referrals_needs ON rm_referrals",
        "DROP TRIGGER rm_needs_counted ON rm_needs",
        "DROP TRIGGER rm_need_providers_counted ON rm_need_providers",
        """
        CREATE TRIGGER rm_referrals_counted AFTER DELETE ON rm_referrals
        FOR EACH ROW EXECUTE FUNCTION rm_referrals_counted('referral')""",
        """
        CREATE TRIGGER rm_referrals_needs AFTER UPDATE OF status, outcome, offered_at ON rm_referrals
        FOR EACH ROW EXECUTE FUNCTION rm_needs_merged()""",
        "CREATE TRIGGER rm_needs_counted AFTER UPDATE OR DELETE ON rm_needs "
        "FOR EACH ROW EXECUTE FUNCTION rm_referrals_counted('needs')",
        "CREATE TRIGGER rm_need_providers_counted AFTER UPDATE OR DELETE ON rm_need_providers "
        "FOR EACH ROW EXECUTE FUNCTION rm_referrals_counted('provider_needs')",
        """
        CREATE TRIGGER rm_referrals_inserted AFTER INSERT ON rm_referrals
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION rm_referrals_inserted()""",
        """
        CREATE TRIGGER rm_needs_inserted AFTER INSERT ON rm_needs
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION rm_need_rows_inserted('needs')""",
        """
        CREATE TRIGGER rm_need_providers_inserted AFTER INSERT ON rm_need_providers
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
        EXECUTE FUNCTION rm_need_rows_inserted('provider_needs')""",
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP TRIGGER rm_need_providers_inserted ON rm_need_providers",
        "DROP TRIGGER rm_needs_inserted ON rm_needs",
        "DROP TRIGGER rm_referrals_inserted ON rm_referrals",
        "DROP TRIGGER rm_need_providers_counted ON rm_need_providers",
        "DROP TRIGGER rm_needs_counted ON rm_needs",
        "DROP TRIGGER rm_referrals_needs ON rm_referrals",
        "DROP TRIGGER rm_referrals_counted ON rm_referrals",
        """
        CREATE TRIGGER rm_referrals_counted AFTER INSERT OR DELETE ON rm_referrals
        FOR EACH ROW EXECUTE FUNCTION rm_referrals_counted('referral')""",
        """
        CREATE TRIGGER rm_referrals_needs AFTER INSERT OR UPDATE OF status, outcome, offered_at ON rm_referrals
        FOR EACH ROW EXECUTE FUNCTION rm_needs_merged()""",
        "CREATE TRIGGER rm_needs_counted AFTER INSERT OR UPDATE OR DELETE ON rm_needs "
        "FOR EACH ROW EXECUTE FUNCTION rm_referrals_counted('needs')",
        "CREATE TRIGGER rm_need_providers_counted AFTER INSERT OR UPDATE OR DELETE ON rm_need_providers "
        "FOR EACH ROW EXECUTE FUNCTION rm_referrals_counted('provider_needs')",
        "DROP FUNCTION rm_need_rows_inserted()",
        "DROP FUNCTION rm_referrals_inserted()",
        "DROP FUNCTION rm_referral_rows_counted(text, jsonb)",
    ])
