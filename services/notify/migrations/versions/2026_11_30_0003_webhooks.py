"""Webhooks of integrating systems: their endpoints (secrets encrypted at rest) and every delivery
with its state, in the order the events came; the keys of creates retried with Idempotency-Key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared import idempotency
from sprpa_shared.migrations import execute_all

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        CREATE TABLE webhook_endpoints (
            id              uuid PRIMARY KEY,
            owner           text NOT NULL,
            regency_codes   text[] NOT NULL CHECK (cardinality(regency_codes) > 0),
            url             text NOT NULL,
            event_types     text[] NOT NULL CHECK (cardinality(event_types) > 0),
            secret          text NOT NULL,
            previous_secret text,
            previous_until  timestamptz,
            status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
            failing_since   timestamptz,
            created_at      timestamptz NOT NULL,
            updated_at      timestamptz NOT NULL
        )""",
        "CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner, created_at)",
        "CREATE INDEX webhook_endpoints_types ON webhook_endpoints USING gin (event_types)",
        """
        CREATE TABLE webhook_deliveries (
            id              uuid PRIMARY KEY,
            seq             bigint GENERATED ALWAYS AS IDENTITY,
            endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
            event_id        uuid NOT NULL,
            event_type      text NOT NULL,
            subject         text NOT NULL,
            payload         jsonb NOT NULL,
            status          text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'delivered', 'failed')),
            attempts        integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            response_status integer,
            last_error      text,
            replay_of       uuid,
            created_at      timestamptz NOT NULL,
            delivered_at    timestamptz
        )""",
        "CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (endpoint_id, event_id) "
        "WHERE replay_of IS NULL",
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
        "CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, subject, seq) "
        "WHERE status = 'pending'",
        "CREATE INDEX webhook_deliveries_listed ON webhook_deliveries (endpoint_id, created_at, id)",
        *idempotency.DDL,
    ])


def downgrade() -> None:
    execute_all(op, [*idempotency.DROP, "DROP TABLE webhook_deliveries", "DROP TABLE webhook_endpoints"])
