"""The referral engine's replica of organisations, MOUs and offerings (from provider events).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        CREATE TABLE replica_organizations (
            id           uuid PRIMARY KEY,
            regency_code text NOT NULL,
            kind         text NOT NULL,
            backbone_for text[] NOT NULL,
            version      integer NOT NULL
        )""",
        "CREATE INDEX replica_organizations_backbone ON replica_organizations USING gin (backbone_for)",
        """
        CREATE TABLE replica_mous (
            id                 uuid PRIMARY KEY,
            organization_id    uuid NOT NULL,
            regency_code       text NOT NULL,
            signed_date        date,
            valid_from         date NOT NULL,
            valid_until        date NOT NULL,
            terminated_on      date,
            service_categories text[] NOT NULL,
            changed_at         timestamptz NOT NULL
        )""",
        "CREATE INDEX replica_mous_regency ON replica_mous (regency_code, organization_id)",
        """
        CREATE TABLE replica_offerings (
            id              uuid PRIMARY KEY,
            organization_id uuid NOT NULL,
            regency_code    text NOT NULL,
            category        text NOT NULL,
            service_area    text[] NOT NULL,
            min_age         smallint NOT NULL,
            max_age         smallint NOT NULL,
            sexes           text[] NOT NULL,
            capacity        integer NOT NULL,
            course_type     text,
            removed         boolean NOT NULL,
            version         integer NOT NULL
        )""",
        "CREATE INDEX replica_offerings_match ON replica_offerings (regency_code, category) WHERE NOT removed",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP TABLE replica_offerings", "DROP TABLE replica_mous", "DROP TABLE replica_organizations"])
