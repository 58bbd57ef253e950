"""The outbox and inbox of the notify service.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.migrations import create_event_tables, drop_event_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_event_tables(op)


def downgrade() -> None:
    drop_event_tables(op)
