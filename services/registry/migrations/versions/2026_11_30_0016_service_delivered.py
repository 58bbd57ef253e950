"""Any service delivered can make an at-risk child prevented, not only a `prevention.*` one: the
child's flag is renamed for what it now means. Children flagged before keep what was recorded
(a prevention service delivered); other services delivered before this change are not known
here and count from the next delivery on.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE children RENAME COLUMN prevention_received TO service_delivered")


def downgrade() -> None:
    op.execute("ALTER TABLE children RENAME COLUMN service_delivered TO prevention_received")
