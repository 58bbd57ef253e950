"""The audit log's hash chain: rows sealed in order (seal_seq, hash); only sealing may update a row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.audit import SEAL_DDL, SEAL_DROP
from sprpa_shared.migrations import execute_all

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, SEAL_DDL)


def downgrade() -> None:
    execute_all(op, SEAL_DROP)
