"""Counters of the summary report: children per desa, registration month and attribute.

`rm_child_counts` holds, for each desa and month of registration, how many children (not merged
into another record) have each sex, birth year, classification, status and mapping category,
and how many there are in all. A trigger on `rm_children` keeps it in the same transaction as
the row it counts, so it is exact whatever handler changed the row, and a replay rebuilds it.
A report sums the counters of the whole months in its period and counts the rows of the days at
its edges.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from alembic import op

from reports.readmodels import counting
from sprpa_shared.migrations import execute_all

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        CREATE TABLE rm_child_counts (
            village_code text NOT NULL,
            month        date NOT NULL,
            dimension    text NOT NULL,
            value        text NOT NULL,
            n            integer NOT NULL,
            PRIMARY KEY (village_code, month, dimension, value)
        )""",
        "CREATE INDEX rm_children_registered ON rm_children (registered_at)",
        # What one child counts towards (the report's dimensions); one definition for the trigger,
        # the backfill and the report's edge days.
        counting.CHILD_KEYS_V1,
        counting.CHILD_MONTH_V1,
        # The old row's keys count -1 and the new row's +1; keys that did not change cancel out.
        # Counters are written in key order, so two transactions never wait on each other in a cycle.
        counting.CHILDREN_COUNTED_V1,
        """
        CREATE TRIGGER rm_children_counted AFTER INSERT OR DELETE ON rm_children
        FOR EACH ROW EXECUTE FUNCTION rm_children_counted()""",
        """
        CREATE TRIGGER rm_children_recounted
        AFTER UPDATE OF village_code, sex, birth_year, classification, status, mapping_categories, merged_into,
                        registered_at ON rm_children
        FOR EACH ROW EXECUTE FUNCTION rm_children_counted()""",
        # Counting everything again from the rows: the backfill here, and bulk loads that bypass the
        # trigger (ALTER TABLE rm_children DISABLE TRIGGER USER, load, SELECT rm_child_counts_refill()).
        counting.CHILD_COUNTS_REFILL_V1,
        "SELECT rm_child_counts_refill()",
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP TRIGGER rm_children_recounted ON rm_children",
        "DROP TRIGGER rm_children_counted ON rm_children",
        "DROP FUNCTION rm_children_counted()",
        "DROP FUNCTION rm_child_counts_refill()",
        "DROP FUNCTION rm_child_month(timestamptz)",
        "DROP FUNCTION rm_child_keys(text, smallint, text, text, text[])",
        "DROP INDEX rm_children_registered",
        "DROP TABLE rm_child_counts",
    ])
