"""A change to which events an endpoint wants (registered, removed, paused, resumed, disabled, its
types or kabupaten) is announced on the `webhook_endpoints` channel: each replica keeps in memory
which (event type, kabupaten) pairs some endpoint wants, and forgets it when it hears this.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        CREATE FUNCTION webhook_endpoints_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('webhook_endpoints', '');
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER webhook_endpoints_changed
            AFTER INSERT OR DELETE OR UPDATE OF status, event_types, regency_codes OR TRUNCATE ON webhook_endpoints
            FOR EACH STATEMENT EXECUTE FUNCTION webhook_endpoints_changed()
        """,
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP TRIGGER webhook_endpoints_changed ON webhook_endpoints",
        "DROP FUNCTION webhook_endpoints_changed()",
    ])
