"""The official region list in the reports' own database: the kabupaten's kecamatan and desa
that KLA indicator 5 counts against, and place names in the tables and exports.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared import regions

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    regions.create_and_load(op)


def downgrade() -> None:
    op.execute("DROP TABLE region_datasets")
    op.execute("DROP TABLE regions")
