"""Idempotency-Key on every create: what each key was used for, per caller.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.idempotency import DDL, DROP
from sprpa_shared.migrations import execute_all

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, DDL)


def downgrade() -> None:
    execute_all(op, DROP)
