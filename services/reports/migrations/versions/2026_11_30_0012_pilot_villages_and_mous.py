"""Pilot villages carry a mapping target too; the MOUs in force are kept for the MOU target.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        "ALTER TABLE pilot_targets ADD COLUMN mapping_target integer NOT NULL DEFAULT 220 "
        "CHECK (mapping_target >= 0)",
        """
        CREATE TABLE rm_mous (
            mou_id          uuid PRIMARY KEY,
            organization_id uuid NOT NULL,
            regency_code    text NOT NULL,
            signed_date     date,
            valid_from      date NOT NULL,
            valid_until     date NOT NULL,
            terminated_on   date,
            changed_at      timestamptz NOT NULL
        )""",
        "CREATE INDEX rm_mous_regency ON rm_mous (regency_code)",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP TABLE rm_mous", "ALTER TABLE pilot_targets DROP COLUMN mapping_target"])
