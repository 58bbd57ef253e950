"""The audit log says what happened (allowed, refused) and names the other record touched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.audit import OUTCOME_DDL, OUTCOME_DROP
from sprpa_shared.migrations import execute_all

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, OUTCOME_DDL)


def downgrade() -> None:
    execute_all(op, OUTCOME_DROP)
