"""A flag keeps the derived needs the operator dropped (with the reason) and the child's
preferences per need; consent may end on a date, and the day it ended is announced once.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        "ALTER TABLE flags ADD COLUMN dropped_needs jsonb NOT NULL DEFAULT '[]', "
        "ADD COLUMN preferences jsonb NOT NULL DEFAULT '{}'",
        "ALTER TABLE consents ADD COLUMN valid_until date, ADD COLUMN expired_at timestamptz",
        "CREATE INDEX consents_ending ON consents (valid_until) WHERE expired_at IS NULL AND withdrawn_on IS NULL",
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP INDEX consents_ending",
        "ALTER TABLE consents DROP COLUMN valid_until, DROP COLUMN expired_at",
        "ALTER TABLE flags DROP COLUMN dropped_needs, DROP COLUMN preferences",
    ])
