"""Ages on the report's reference date: the read model keeps the month of birth (never the day).

The counters key a child by its month of birth (`birth_month`, 'YYYY-MM'; 'YYYY' for a child
whose events carried the year only), so the summary's age bands are ages on the period's last
day, not the year's difference. `rm_child_keys` gains the month (a new signature: the old one
is dropped once nothing calls it), the triggers and the refill call it, and the counters are
counted again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from alembic import op

from reports.readmodels import counting
from sprpa_shared.migrations import execute_all

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _recounted(month: bool) -> str:
    return f"""
CREATE TRIGGER rm_children_recounted
AFTER UPDATE OF village_code, sex, birth_year,{" birth_month," if month else ""} classification, status,
                mapping_categories, merged_into, registered_at ON rm_children
FOR EACH ROW EXECUTE FUNCTION rm_children_counted()"""


def upgrade() -> None:
    execute_all(op, [
        "ALTER TABLE rm_children ADD COLUMN birth_month text",
        counting.CHILD_KEYS_V2, counting.CHILDREN_COUNTED_V2, counting.CHILDREN_INSERTED_V2,
        counting.CHILD_COUNTS_REFILL_V2,
        "DROP TRIGGER rm_children_recounted ON rm_children", _recounted(month=True),
        "DROP FUNCTION rm_child_keys(text, smallint, text, text, text[])",
        "SELECT rm_child_counts_refill()",
    ])


def downgrade() -> None:
    execute_all(op, [
        counting.CHILD_KEYS_V1, *map(counting.or_replace, [
            counting.CHILDREN_COUNTED_V1, counting.CHILDREN_INSERTED_V1, counting.CHILD_COUNTS_REFILL_V1]),
        "DROP TRIGGER rm_children_recounted ON rm_children", _recounted(month=False),
        "DROP FUNCTION rm_child_keys(text, smallint, text, text, text, text[])",
        "ALTER TABLE rm_children DROP COLUMN birth_month",
        "SELECT rm_child_counts_refill()",
    ])
