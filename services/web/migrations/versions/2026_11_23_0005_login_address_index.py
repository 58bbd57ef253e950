"""Failed logins per address are counted from the audit log: an index for that count.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX audit_log_address ON audit_log (client_ip, at)")


def downgrade() -> None:
    op.execute("DROP INDEX audit_log_address")
