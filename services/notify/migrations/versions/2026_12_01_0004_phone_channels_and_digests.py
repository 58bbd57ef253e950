"""WhatsApp and SMS beside email: a person's phone number and which of them they want; a daily
digest instead of each notice at once; a delivery's gateway id, by which its receipt finds it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        ALTER TABLE subscribers
            ADD COLUMN phone            text,
            ADD COLUMN whatsapp_enabled boolean NOT NULL DEFAULT false,
            ADD COLUMN sms_enabled      boolean NOT NULL DEFAULT false,
            ADD COLUMN digest           text NOT NULL DEFAULT 'immediate' CHECK (digest IN ('immediate', 'daily')),
            ADD COLUMN digest_at        time NOT NULL DEFAULT '07:00'
        """,
        "ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check",
        "ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check "
        "CHECK (channel IN ('email', 'whatsapp', 'sms'))",
        "ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check",
        "ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check "
        "CHECK (status IN ('queued', 'sent', 'delivered', 'failed', 'skipped'))",
        "ALTER TABLE deliveries ADD COLUMN digest boolean NOT NULL DEFAULT false, ADD COLUMN external_id text",
        "CREATE INDEX deliveries_external ON deliveries (channel, external_id) WHERE external_id IS NOT NULL",
        "DROP INDEX deliveries_sent",
        "CREATE INDEX deliveries_sent ON deliveries (subject, channel, sent_at) WHERE sent_at IS NOT NULL",
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP INDEX deliveries_sent",
        "CREATE INDEX deliveries_sent ON deliveries (subject, channel, sent_at) WHERE status = 'sent'",
        "DROP INDEX deliveries_external",
        "DELETE FROM deliveries WHERE channel <> 'email'",
        "UPDATE deliveries SET status = 'sent' WHERE status = 'delivered'",
        "ALTER TABLE deliveries DROP COLUMN digest, DROP COLUMN external_id",
        "ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check",
        "ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check "
        "CHECK (status IN ('queued', 'sent', 'failed', 'skipped'))",
        "ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check",
        "ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('email'))",
        "ALTER TABLE subscribers DROP COLUMN phone, DROP COLUMN whatsapp_enabled, DROP COLUMN sms_enabled, "
        "DROP COLUMN digest, DROP COLUMN digest_at",
    ])
