"""Who is who (people as their tokens describe them, organisations, places), what was said to
whom, and its deliveries; the offers whose SLA reminders are due.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared import regions
from sprpa_shared.migrations import execute_all

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    regions.create_and_load(op)
    execute_all(op, [
        """
        CREATE TABLE subscribers (
            subject         text PRIMARY KEY,
            role            text NOT NULL,
            regency_codes   text[] NOT NULL DEFAULT '{}',
            village_code    text,
            organization_id uuid,
            language        text NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
            email           text,
            email_enabled   boolean NOT NULL DEFAULT true,
            quiet_from      time,
            quiet_to        time,
            opted_out       boolean NOT NULL DEFAULT false,
            updated_at      timestamptz NOT NULL
        )""",
        "CREATE INDEX subscribers_organization ON subscribers (organization_id) WHERE organization_id IS NOT NULL",
        "CREATE INDEX subscribers_village ON subscribers (village_code) WHERE village_code IS NOT NULL",
        "CREATE INDEX subscribers_regencies ON subscribers USING gin (regency_codes)",
        """
        CREATE TABLE organizations (
            id           uuid PRIMARY KEY,
            name         text,
            regency_code text NOT NULL,
            version      integer NOT NULL
        )""",
        """
        CREATE TABLE notifications (
            id              uuid PRIMARY KEY,
            kind            text NOT NULL,
            audience        text NOT NULL CHECK (audience IN ('organization', 'operators', 'cadres')),
            organization_id uuid,
            regency_code    text NOT NULL,
            village_code    text,
            urgent          boolean NOT NULL DEFAULT false,
            params          jsonb NOT NULL,
            link            text NOT NULL,
            created_at      timestamptz NOT NULL,
            dedupe_key      text NOT NULL UNIQUE,
            CHECK (audience <> 'organization' OR organization_id IS NOT NULL),
            CHECK (audience <> 'cadres' OR village_code IS NOT NULL)
        )""",
        "CREATE INDEX notifications_organization ON notifications (organization_id, created_at) "
        "WHERE audience = 'organization'",
        "CREATE INDEX notifications_regency ON notifications (regency_code, created_at) WHERE audience = 'operators'",
        "CREATE INDEX notifications_village ON notifications (village_code, created_at) WHERE audience = 'cadres'",
        """
        CREATE TABLE notification_reads (
            notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
            subject         text NOT NULL,
            read_at         timestamptz NOT NULL,
            PRIMARY KEY (subject, notification_id)
        )""",
        """
        CREATE TABLE deliveries (
            id              uuid PRIMARY KEY,
            notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
            subject         text NOT NULL REFERENCES subscribers (subject) ON DELETE CASCADE,
            channel         text NOT NULL CHECK (channel IN ('email')),
            regency_code    text NOT NULL,
            status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
            attempts        integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            last_error      text,
            created_at      timestamptz NOT NULL,
            sent_at         timestamptz,
            UNIQUE (notification_id, subject, channel)
        )""",
        "CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'queued'",
        "CREATE INDEX deliveries_sent ON deliveries (subject, channel, sent_at) WHERE status = 'sent'",
        "CREATE INDEX deliveries_regency ON deliveries (regency_code, created_at)",
        """
        CREATE TABLE offer_watches (
            referral_id     uuid PRIMARY KEY,
            organization_id uuid NOT NULL,
            child_id        uuid NOT NULL,
            village_code    text NOT NULL,
            regency_code    text NOT NULL,
            need            text NOT NULL,
            backbone        boolean NOT NULL DEFAULT false,
            offered_at      timestamptz,
            deadline        timestamptz,
            status          text NOT NULL,
            reminded        text[] NOT NULL DEFAULT '{}',
            changed_at      timestamptz NOT NULL
        )""",
        "CREATE INDEX offer_watches_open ON offer_watches (deadline) WHERE status = 'offered'",
        "CREATE INDEX offer_watches_child ON offer_watches (child_id)",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP TABLE offer_watches", "DROP TABLE deliveries", "DROP TABLE notification_reads",
                     "DROP TABLE notifications", "DROP TABLE organizations", "DROP TABLE subscribers",
                     "DROP TABLE region_datasets", "DROP TABLE regions"])
