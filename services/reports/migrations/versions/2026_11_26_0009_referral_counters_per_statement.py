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

from reports.readmodels import counting
from sprpa_shared.migrations import execute_all

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

def upgrade() -> None:
    execute_all(op, [
        # The facts of a set of rows counted once each, as rm_referrals_counted() counts one row
        # (`kind` as there); written in key order (no deadlock cycle between consumers).
        counting.REFERRAL_ROWS_COUNTED_V1,
        counting.REFERRALS_INSERTED_V1,
        counting.NEED_ROWS_INSERTED_V1,
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
