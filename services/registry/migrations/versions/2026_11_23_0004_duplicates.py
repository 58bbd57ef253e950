"""Merged children and the index duplicate detection searches.

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
        "ALTER TABLE children ADD COLUMN merged_into uuid REFERENCES children (id)",
        "CREATE INDEX children_district_birth ON children (district_code, birth_date) WHERE merged_into IS NULL",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP INDEX children_district_birth", "ALTER TABLE children DROP COLUMN merged_into"])
