"""Protected identifiers: names, NIK, addresses, consent givers and notes are stored encrypted by
the application; NIK is looked up through its blind index. Rows written before stay readable and
are sealed by `python -m registry rekey` (which also fills the blind index).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        "ALTER TABLE children ADD COLUMN nik_index text",
        "DROP INDEX children_nik",
        "CREATE INDEX children_nik_index ON children (nik_index) WHERE nik_index IS NOT NULL",
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP INDEX children_nik_index",
        "CREATE INDEX children_nik ON children (nik) WHERE nik IS NOT NULL",
        "ALTER TABLE children DROP COLUMN nik_index",
    ])
