"""How an import makes its rows' child ids (`imports.row_ids`): in the order of the rows
(`ordered`, registry.imports.store.ordered_ids) for the imports this release accepts, which say
so; imports already accepted keep the ids of their file and row (`file`), so one that is resumed
after the upgrade finds the children its first run wrote (issue 27). The default stays `file`:
during a rolling update the previous release's replicas accept imports too, and make those ids.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        "ALTER TABLE imports ADD COLUMN row_ids text NOT NULL DEFAULT 'file' "
        "CONSTRAINT imports_row_ids CHECK (row_ids IN ('file', 'ordered'))",
    ])


def downgrade() -> None:
    # An import accepted since then and not finished would resume with other ids: the downgrade
    # refuses while there is one.
    execute_all(op, [
        "DO $$ BEGIN IF EXISTS (SELECT FROM imports WHERE row_ids = 'ordered' "
        "AND status IN ('queued', 'processing')) THEN RAISE EXCEPTION "
        "'an import with ordered row ids is not finished; downgrade after it is'; END IF; END $$",
        "ALTER TABLE imports DROP COLUMN row_ids",
    ])
