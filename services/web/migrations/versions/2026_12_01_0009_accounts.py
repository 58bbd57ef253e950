"""The district manages its own people: who made an account and who approved it, the kabupaten
that manages it, a provider organisation's admins, when a person's tokens were revoked, and the
one-time codes that let a person set their own password.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        ALTER TABLE users
            ADD COLUMN managed_in        text,
            ADD COLUMN org_admin         boolean NOT NULL DEFAULT false,
            ADD COLUMN pending_approval  boolean NOT NULL DEFAULT false,
            ADD COLUMN created_by        text,
            ADD COLUMN approved_by       text,
            ADD COLUMN tokens_revoked_at timestamptz
        """,
        "UPDATE users SET managed_in = coalesce(regency_codes[1], substr(village_code, 1, 5)) "
        "WHERE role IN ('district_operator', 'village_cadre')",
        "CREATE INDEX users_managed_in ON users (managed_in) WHERE managed_in IS NOT NULL",
        "CREATE INDEX users_revoked ON users (tokens_revoked_at) WHERE tokens_revoked_at IS NOT NULL",
        """
        ALTER TABLE api_clients
            ADD COLUMN created_by        text,
            ADD COLUMN tokens_revoked_at timestamptz
        """,
        """
        CREATE TABLE password_codes (
            code_hash  text PRIMARY KEY,
            user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            used_at    timestamptz
        )""",
        "CREATE INDEX password_codes_user ON password_codes (user_id)",
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP TABLE password_codes",
        "ALTER TABLE api_clients DROP COLUMN created_by, DROP COLUMN tokens_revoked_at",
        "DROP INDEX users_revoked",
        "DROP INDEX users_managed_in",
        "ALTER TABLE users DROP COLUMN managed_in, DROP COLUMN org_admin, DROP COLUMN pending_approval, "
        "DROP COLUMN created_by, DROP COLUMN approved_by, DROP COLUMN tokens_revoked_at",
    ])
