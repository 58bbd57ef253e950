"""Service offerings of organisations.

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
        CREATE TABLE offerings (
            id              uuid PRIMARY KEY,
            organization_id uuid NOT NULL REFERENCES organizations (id),
            category        text NOT NULL,
            name            text NOT NULL,
            regency_code    text NOT NULL REFERENCES regions (code),
            service_area    text[] NOT NULL DEFAULT '{}',
            min_age         smallint NOT NULL,
            max_age         smallint NOT NULL,
            sexes           text[] NOT NULL DEFAULT '{}',
            capacity        integer NOT NULL CHECK (capacity >= 0),
            open_referrals  integer NOT NULL DEFAULT 0,
            languages       text[] NOT NULL DEFAULT '{}',
            schedule        text,
            course_type     text,
            removed         boolean NOT NULL DEFAULT false,
            version         integer NOT NULL DEFAULT 1,
            created_at      timestamptz NOT NULL,
            updated_at      timestamptz NOT NULL,
            CHECK (max_age >= min_age)
        )""",
        "CREATE INDEX offerings_search ON offerings (regency_code, category) WHERE NOT removed",
        "CREATE INDEX offerings_organization ON offerings (organization_id)",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP TABLE offerings"])
