"""Keyed tags of how each child's name sounds (`children.name_sounds`, registry.duplicates.sounds):
the duplicate checks find the children whose names may be alike through them, so a check costs
the same however many children are registered (issue 27). A child keeps NULL until its tags are
computed (the service writes them on every change, `python -m registry rekey` for the rest), and
the checks read such children by kecamatan and birth date as before, from a partial index that is
empty once every child has its tags.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        "ALTER TABLE children ADD COLUMN name_sounds integer[]",
        # fastupdate off: the import looks up thousands of rows' tags a batch, and a pending list
        # would be scanned whole by each look-up.
        "CREATE INDEX children_name_sounds ON children USING gin (name_sounds) WITH (fastupdate = off) "
        "WHERE merged_into IS NULL",
        "CREATE INDEX children_unsounded ON children (district_code, birth_date) "
        "WHERE name_sounds IS NULL AND merged_into IS NULL",
        "DROP INDEX children_district_birth",
    ])


def downgrade() -> None:
    execute_all(op, [
        "CREATE INDEX children_district_birth ON children (district_code, birth_date) WHERE merged_into IS NULL",
        "DROP INDEX children_unsounded",
        "DROP INDEX children_name_sounds",
        "ALTER TABLE children DROP COLUMN name_sounds",
    ])
