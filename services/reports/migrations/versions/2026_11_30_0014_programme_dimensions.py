"""The programme report's dimensions: how a child was identified, the worst forms and hazards
behind the classification, and the sessions a delivered service took.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        "ALTER TABLE rm_children ADD COLUMN identified_through text, "
        "ADD COLUMN classification_basis text[] NOT NULL DEFAULT '{}'",
        "ALTER TABLE rm_referrals ADD COLUMN sessions integer",
    ])


def downgrade() -> None:
    execute_all(op, [
        "ALTER TABLE rm_referrals DROP COLUMN sessions",
        "ALTER TABLE rm_children DROP COLUMN identified_through, DROP COLUMN classification_basis",
    ])
