"""Which MOU expiry notices were emitted (one per MOU and kind, whatever the number of replicas).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        CREATE TABLE mou_notices (
            mou_id     uuid NOT NULL REFERENCES mous (id),
            kind       text NOT NULL CHECK (kind IN ('expiring', 'expired')),
            emitted_at timestamptz NOT NULL,
            PRIMARY KEY (mou_id, kind)
        )""",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP TABLE mou_notices"])
