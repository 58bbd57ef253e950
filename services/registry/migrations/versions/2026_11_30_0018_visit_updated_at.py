"""When a visit last changed (recorded, moved to the survivor of a merge, its notes erased), so that
other systems can poll for the visits changed since they last read (`updated_since`).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE visits ADD COLUMN updated_at timestamptz")
    op.execute("UPDATE visits SET updated_at = recorded_at")
    op.execute("ALTER TABLE visits ALTER COLUMN updated_at SET NOT NULL")
    op.execute("CREATE INDEX visits_changes ON visits (updated_at, id)")
    op.execute("CREATE INDEX IF NOT EXISTS children_changes ON children (updated_at, id)")


def downgrade() -> None:
    op.execute("DROP INDEX children_changes")
    op.execute("DROP INDEX visits_changes")
    op.execute("ALTER TABLE visits DROP COLUMN updated_at")
