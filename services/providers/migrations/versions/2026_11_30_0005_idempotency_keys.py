"""Idempotency-Key on every create: what each key was used for, per caller.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.idempotency import DDL, DROP
from sprpa_shared.migrations import execute_all

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, DDL)


def downgrade() -> None:
    execute_all(op, DROP)
