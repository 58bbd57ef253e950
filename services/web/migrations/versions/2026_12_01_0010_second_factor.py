"""An optional second factor (TOTP, RFC 6238) for operators and admins, and the kabupaten's choice
to require it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        "ALTER TABLE users ADD COLUMN totp_secret text, ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false, "
        "ADD COLUMN totp_last_step bigint",
        """
        CREATE TABLE regency_security (
            regency_code  text PRIMARY KEY,
            totp_required boolean NOT NULL DEFAULT false,
            changed_by    text NOT NULL,
            changed_at    timestamptz NOT NULL
        )""",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP TABLE regency_security",
                     "ALTER TABLE users DROP COLUMN totp_secret, DROP COLUMN totp_enabled, DROP COLUMN totp_last_step"])
