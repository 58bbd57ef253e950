"""Consent can be withdrawn (when, and who recorded it); a flag waiting for approval can be rejected.

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
        "ALTER TABLE consents ADD COLUMN withdrawn_on date, ADD COLUMN withdrawn_by text",
        "ALTER TABLE flags DROP CONSTRAINT flags_approval_check",
        "ALTER TABLE flags ADD CONSTRAINT flags_approval_check "
        "CHECK (approval IN ('not_needed', 'pending', 'approved', 'rejected'))",
    ])


def downgrade() -> None:
    execute_all(op, [
        "ALTER TABLE flags DROP CONSTRAINT flags_approval_check",
        "ALTER TABLE flags ADD CONSTRAINT flags_approval_check "
        "CHECK (approval IN ('not_needed', 'pending', 'approved'))",
        "ALTER TABLE consents DROP COLUMN withdrawn_by, DROP COLUMN withdrawn_on",
    ])
