"""How a child came to the programme's notice (outreach, school, a raid with Dinsos/Satpol PP, a
partner NGO, the child or family): the field reports group children by it. Children recorded
before stay unknown; a survey import records outreach.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE children ADD COLUMN identified_through text")


def downgrade() -> None:
    op.execute("ALTER TABLE children DROP COLUMN identified_through")
