"""Transfers of a child's case between kabupaten: one open transfer per child at a time.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE transfers (
            id                uuid PRIMARY KEY,
            child_id          uuid NOT NULL REFERENCES children (id),
            status            text NOT NULL CHECK (status IN ('proposed', 'accepted', 'declined', 'cancelled')),
            reason            text NOT NULL,
            from_village_code text NOT NULL,
            from_regency_code text NOT NULL,
            to_regency_code   text NOT NULL,
            to_village_code   text,
            proposed_at       timestamptz NOT NULL,
            proposed_by       text NOT NULL,
            decided_at        timestamptz,
            decided_by        text,
            decline_reason    text,
            household_moved   boolean,
            version           integer NOT NULL DEFAULT 1,
            updated_at        timestamptz NOT NULL,
            CHECK (from_regency_code <> to_regency_code)
        )""")
    op.execute("CREATE UNIQUE INDEX transfers_one_open ON transfers (child_id) WHERE status = 'proposed'")
    op.execute("CREATE INDEX transfers_to ON transfers (to_regency_code, proposed_at DESC)")
    op.execute("CREATE INDEX transfers_from ON transfers (from_regency_code, proposed_at DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE transfers")
