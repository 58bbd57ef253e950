"""The audit log's seals are keyed (HMAC with a key the database does not hold) and name their key.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.audit import KEYED_DDL, KEYED_DROP
from sprpa_shared.migrations import execute_all

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, KEYED_DDL)


def downgrade() -> None:
    execute_all(op, KEYED_DROP)
