"""Exports and erasures wait for a second person's confirmation.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE rights_requests (
            id           uuid PRIMARY KEY,
            child_id     uuid NOT NULL REFERENCES children (id),
            kind         text NOT NULL CHECK (kind IN ('export', 'erasure')),
            basis        text,
            reference    text,
            status       text NOT NULL CHECK (status IN ('pending', 'confirmed', 'done', 'cancelled')),
            requested_by text NOT NULL,
            requested_at timestamptz NOT NULL,
            confirmed_by text,
            confirmed_at timestamptz,
            usable_until timestamptz,
            CHECK (confirmed_by IS NULL OR confirmed_by <> requested_by)
        )""")
    op.execute("CREATE UNIQUE INDEX rights_requests_one_pending ON rights_requests (child_id, kind) "
               "WHERE status = 'pending'")


def downgrade() -> None:
    op.execute("DROP TABLE rights_requests")
