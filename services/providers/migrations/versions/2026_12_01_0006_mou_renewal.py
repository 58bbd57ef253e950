"""An MOU may renew an earlier one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE mous ADD COLUMN renews_id uuid REFERENCES mous (id)")
    op.execute("CREATE UNIQUE INDEX mous_renewed_once ON mous (renews_id) WHERE renews_id IS NOT NULL")


def downgrade() -> None:
    op.execute("ALTER TABLE mous DROP COLUMN renews_id")
