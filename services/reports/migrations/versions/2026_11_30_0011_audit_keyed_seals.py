"""The audit log's seals are keyed (HMAC with a key the database does not hold) and name their key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.audit import KEYED_DDL, KEYED_DROP
from sprpa_shared.migrations import execute_all

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, KEYED_DDL)


def downgrade() -> None:
    execute_all(op, KEYED_DROP)
