"""Children whose personal data the registry erased: still counted, marked.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE rm_children ADD COLUMN erased_on date")


def downgrade() -> None:
    op.execute("ALTER TABLE rm_children DROP COLUMN erased_on")
