"""Users, API clients and signing keys of the local issuer.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(
        op,
        [
            """
        CREATE TABLE users (
            id              uuid PRIMARY KEY,
            username        text NOT NULL UNIQUE,
            password_hash   text NOT NULL,
            role            text NOT NULL,
            regency_codes   text[] NOT NULL DEFAULT '{}',
            village_code    text,
            organization_id uuid,
            disabled        boolean NOT NULL DEFAULT false,
            failed_logins   integer NOT NULL DEFAULT 0,
            locked_until    timestamptz,
            created_at      timestamptz NOT NULL DEFAULT now()
        )""",
            """
        CREATE TABLE api_clients (
            id              uuid PRIMARY KEY,
            client_id       text NOT NULL UNIQUE,
            secret_hash     text NOT NULL,
            role            text NOT NULL,
            regency_codes   text[] NOT NULL DEFAULT '{}',
            organization_id uuid,
            scopes          text[] NOT NULL DEFAULT '{}',
            disabled        boolean NOT NULL DEFAULT false,
            created_at      timestamptz NOT NULL DEFAULT now()
        )""",
            """
        CREATE TABLE signing_keys (
            kid                   text PRIMARY KEY,
            private_pem_encrypted text NOT NULL,
            created_at            timestamptz NOT NULL DEFAULT now(),
            retired_at            timestamptz
        )""",
        ],
    )


def downgrade() -> None:
    execute_all(op, ["DROP TABLE signing_keys", "DROP TABLE api_clients", "DROP TABLE users"])
