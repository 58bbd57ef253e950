"""The summary's counters count inserted children once per statement, not once per row.

A run of registrations (a bulk import's) reaches the reports as one INSERT; with the row trigger
of 0006 each child then ran its own counter upsert. The insert trigger is now a statement
trigger over the inserted rows (a transition table), grouped by counter: the same counts, one
upsert per statement. Updates and deletes keep the row trigger (PostgreSQL gives no transition
table to a trigger on a column list), and `rm_child_counts_refill()` is unchanged.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from alembic import op

from reports.readmodels import counting
from sprpa_shared.migrations import execute_all

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        counting.CHILDREN_INSERTED_V1,
        "DROP TRIGGER rm_children_counted ON rm_children",
        """
        CREATE TRIGGER rm_children_counted AFTER DELETE ON rm_children
        FOR EACH ROW EXECUTE FUNCTION rm_children_counted()""",
        """
        CREATE TRIGGER rm_children_inserted AFTER INSERT ON rm_children
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION rm_children_inserted()""",
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP TRIGGER rm_children_inserted ON rm_children",
        "DROP TRIGGER rm_children_counted ON rm_children",
        """
        CREATE TRIGGER rm_children_counted AFTER INSERT OR DELETE ON rm_children
        FOR EACH ROW EXECUTE FUNCTION rm_children_counted()""",
        "DROP FUNCTION rm_children_inserted()",
    ])
