"""Official places, organisations and their MOUs with kabupaten.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
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
        CREATE TABLE organizations (
            id           uuid PRIMARY KEY,
            name         text NOT NULL,
            name_key     text NOT NULL,
            kind         text NOT NULL,
            regency_code text NOT NULL REFERENCES regions (code),
            contacts     jsonb NOT NULL DEFAULT '{}',
            backbone_for text[] NOT NULL DEFAULT '{}',
            is_demo      boolean NOT NULL DEFAULT false,
            version      integer NOT NULL DEFAULT 1,
            created_at   timestamptz NOT NULL,
            updated_at   timestamptz NOT NULL,
            created_by   text NOT NULL,
            UNIQUE (regency_code, name_key)
        )""",
        "CREATE INDEX organizations_regency ON organizations (regency_code, created_at, id)",
        """
        CREATE TABLE mous (
            id                 uuid PRIMARY KEY,
            organization_id    uuid NOT NULL REFERENCES organizations (id),
            number             text NOT NULL,
            regency_code       text NOT NULL REFERENCES regions (code),
            signed_date        date,
            valid_from         date NOT NULL,
            valid_until        date NOT NULL,
            service_categories text[] NOT NULL,
            terminated_on      date,
            termination_reason text,
            created_at         timestamptz NOT NULL,
            created_by         text NOT NULL,
            CHECK (valid_until >= valid_from),
            UNIQUE (organization_id, number)
        )""",
        "CREATE INDEX mous_regency ON mous (regency_code, valid_until)",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP TABLE mous", "DROP TABLE organizations", "DROP TABLE region_datasets",
                     "DROP TABLE regions"])
