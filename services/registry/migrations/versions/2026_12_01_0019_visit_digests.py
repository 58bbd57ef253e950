"""The weeks whose visits-due summary each desa was sent (`visits.due`), so it goes once a week.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE visit_digests (
            village_code text NOT NULL,
            week_of      date NOT NULL,
            due          integer NOT NULL,
            overdue      integer NOT NULL,
            sent_at      timestamptz NOT NULL,
            PRIMARY KEY (village_code, week_of)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE visit_digests")
