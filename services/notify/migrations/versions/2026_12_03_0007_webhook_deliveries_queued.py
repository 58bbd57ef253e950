"""A delivery queued for a webhook endpoint is announced on the `webhook_deliveries` channel as its
transaction commits: the sender, listening, posts it at once instead of at its next sweep (which
now only looks for the retries that have come due).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        CREATE FUNCTION webhook_deliveries_queued() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT FROM queued) THEN
                PERFORM pg_notify('webhook_deliveries', '');
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER webhook_deliveries_queued AFTER INSERT ON webhook_deliveries
            REFERENCING NEW TABLE AS queued FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_queued()
        """,
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP TRIGGER webhook_deliveries_queued ON webhook_deliveries",
        "DROP FUNCTION webhook_deliveries_queued()",
    ])
