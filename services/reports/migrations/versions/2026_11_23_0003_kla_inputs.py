"""The district's KLA scorecard inputs per kabupaten and year, with an append-only history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        CREATE TABLE kla_inputs (
            regency_code        text NOT NULL,
            year                smallint NOT NULL,
            indicator           smallint NOT NULL CHECK (indicator BETWEEN 1 AND 31),
            achievement_percent numeric(4, 1) NOT NULL CHECK (achievement_percent BETWEEN 0 AND 100),
            evidence            text NOT NULL,
            version             integer NOT NULL,
            updated_at          timestamptz NOT NULL,
            updated_by          text NOT NULL,
            PRIMARY KEY (regency_code, year, indicator)
        )""",
        """
        CREATE TABLE kla_input_history (
            id                  bigserial PRIMARY KEY,
            regency_code        text NOT NULL,
            year                smallint NOT NULL,
            indicator           smallint NOT NULL,
            achievement_percent numeric(4, 1) NOT NULL,
            evidence            text NOT NULL,
            version             integer NOT NULL,
            at                  timestamptz NOT NULL,
            actor               text NOT NULL
        )""",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP TABLE kla_input_history", "DROP TABLE kla_inputs"])
