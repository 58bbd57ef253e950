"""Routes to a family for the provider who accepted: a desa's contact person, the guardian's phone.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE village_contacts (
            village_code text PRIMARY KEY,
            function     text NOT NULL CHECK (function IN ('cadre', 'facilitator')),
            name         text NOT NULL,
            phone        text NOT NULL,
            version      integer NOT NULL,
            updated_at   timestamptz NOT NULL,
            updated_by   text NOT NULL
        )""")
    op.execute("ALTER TABLE consents ADD COLUMN guardian_phone text")


def downgrade() -> None:
    op.execute("ALTER TABLE consents DROP COLUMN guardian_phone")
    op.execute("DROP TABLE village_contacts")
