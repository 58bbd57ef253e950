"""An audit row may name many children (`child_ids`): a bulk import writes one per batch (issue 27).
Every service's audit log gets the column, so the audit API and the incident report read one shape.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op

from sprpa_shared.audit import CHILDREN_DDL, CHILDREN_DROP
from sprpa_shared.migrations import execute_all

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, CHILDREN_DDL)


def downgrade() -> None:
    execute_all(op, CHILDREN_DROP)
