"""The children whose names have one or two sounds, indexed apart (`children_few_sounds`): a name of
three sounds or more finds its like among longer names by pairs of its tags, and among these by any
one tag (registry.duplicates.sounds.LOOKUP, issue 27).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        "CREATE INDEX children_few_sounds ON children USING gin (name_sounds) WITH (fastupdate = off) "
        "WHERE merged_into IS NULL AND cardinality(name_sounds) <= 2",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP INDEX children_few_sounds"])
