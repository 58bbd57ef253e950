"""Which organisation holds a live referral for which child (fed by referral events).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        CREATE TABLE provider_access (
            referral_id     uuid PRIMARY KEY,
            child_id        uuid NOT NULL,
            organization_id uuid NOT NULL,
            status          text NOT NULL,
            live            boolean NOT NULL,
            changed_on      date NOT NULL
        )""",
        "CREATE INDEX provider_access_live ON provider_access (child_id, organization_id) WHERE live",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP TABLE provider_access"])
