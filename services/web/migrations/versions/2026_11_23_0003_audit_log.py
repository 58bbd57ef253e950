"""The append-only audit log of logins, failed logins and lockouts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.audit import AUDIT_DDL, AUDIT_DROP
from sprpa_shared.migrations import execute_all

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, AUDIT_DDL)


def downgrade() -> None:
    execute_all(op, AUDIT_DROP)
