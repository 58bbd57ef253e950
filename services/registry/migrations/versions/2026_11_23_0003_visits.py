"""Monitoring visits and the follow-up schedule.

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
        ALTER TABLE children
            ADD COLUMN flagged_as text,
            ADD COLUMN remediation_started_on date,
            ADD COLUMN prevention_received boolean NOT NULL DEFAULT false,
            ADD COLUMN next_visit_due date
        """,
        "CREATE INDEX children_visit_due ON children (village_code, next_visit_due) WHERE next_visit_due IS NOT NULL",
        """
        CREATE TABLE visits (
            id                 uuid PRIMARY KEY,
            child_id           uuid NOT NULL REFERENCES children (id),
            visited_on         date NOT NULL,
            working            boolean NOT NULL,
            work               jsonb,
            attendance         text NOT NULL CHECK (attendance IN ('school', 'training', 'none')),
            attending_since    date,
            living_arrangement text NOT NULL,
            notes              text,
            classification     jsonb NOT NULL,
            outcome            text NOT NULL,
            recorded_at        timestamptz NOT NULL,
            recorded_by        text NOT NULL
        )""",
        "CREATE INDEX visits_child ON visits (child_id, visited_on)",
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP TABLE visits",
        "ALTER TABLE children DROP COLUMN flagged_as, DROP COLUMN remediation_started_on, "
        "DROP COLUMN prevention_received, DROP COLUMN next_visit_due",
    ])
