"""Sessions of the pages: a browser signed in as a user (the cookie holds a random token; we keep its hash).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE browser_sessions (
            token_hash   text PRIMARY KEY,
            user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            csrf         text NOT NULL,
            created_at   timestamptz NOT NULL,
            last_seen_at timestamptz NOT NULL,
            expires_at   timestamptz NOT NULL
        )""")
    op.execute("CREATE INDEX browser_sessions_user ON browser_sessions (user_id)")
    op.execute("CREATE INDEX browser_sessions_expiry ON browser_sessions (expires_at)")


def downgrade() -> None:
    op.execute("DROP TABLE browser_sessions")
