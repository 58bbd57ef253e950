"""Erasure of a child's personal data (UU 27/2022 rights, retention): when and on what basis.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        "ALTER TABLE children ADD COLUMN erased_at timestamptz, ADD COLUMN erasure_basis text",
        "CREATE INDEX children_retention ON children (status, updated_at) WHERE erased_at IS NULL",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP INDEX children_retention",
                     "ALTER TABLE children DROP COLUMN erasure_basis, DROP COLUMN erased_at"])
