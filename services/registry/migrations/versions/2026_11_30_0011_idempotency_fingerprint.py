"""Idempotency keys remember what they were used for: a key reused with another body is refused.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null for keys claimed before: they replay as they did, without the comparison.
    execute_all(op, ["ALTER TABLE idempotency_keys ADD COLUMN fingerprint text"])


def downgrade() -> None:
    execute_all(op, ["ALTER TABLE idempotency_keys DROP COLUMN fingerprint"])
