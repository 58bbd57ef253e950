"""A flag made without guardian consent (on a legal basis) waits for a second person's approval.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        "ALTER TABLE flags ADD COLUMN approval text NOT NULL DEFAULT 'not_needed' "
        "CHECK (approval IN ('not_needed', 'pending', 'approved'))",
        "ALTER TABLE flags ADD COLUMN approved_by text",
        "ALTER TABLE flags ADD COLUMN approved_at timestamptz",
    ])


def downgrade() -> None:
    execute_all(op, ["ALTER TABLE flags DROP COLUMN approved_at", "ALTER TABLE flags DROP COLUMN approved_by",
                     "ALTER TABLE flags DROP COLUMN approval"])
