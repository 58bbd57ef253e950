"""The number of sessions a provider delivered (counselling, tutoring), reported at completion.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE referrals ADD COLUMN sessions integer CHECK (sessions BETWEEN 1 AND 1000)")


def downgrade() -> None:
    op.execute("ALTER TABLE referrals DROP COLUMN sessions")
