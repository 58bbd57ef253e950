"""A village cadre account's function in the desa: a PATBM/GTDLA cadre or the village facilitator
who accompanies children (DOMAIN.md: both are the village_cadre role, with the same rights).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE users ADD COLUMN village_function text "
               "CHECK (village_function IN ('cadre', 'facilitator'))")
    op.execute("UPDATE users SET village_function = 'cadre' WHERE role = 'village_cadre'")


def downgrade() -> None:
    op.execute("ALTER TABLE users DROP COLUMN village_function")
