"""Official places (loaded from idn-area-data), households, children, cases, consent, audit.

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

SCHEMA = [
    """
    CREATE TABLE households (
        id           uuid PRIMARY KEY,
        village_code text NOT NULL REFERENCES regions (code),
        head_name    text,
        address      text,
        version      integer NOT NULL DEFAULT 1,
        created_at   timestamptz NOT NULL,
        created_by   text NOT NULL
    )""",
    "CREATE INDEX households_village ON households (village_code)",
    """
    CREATE TABLE children (
        id                 uuid PRIMARY KEY,
        household_id       uuid REFERENCES households (id),
        full_name          text NOT NULL,
        sex                text NOT NULL CHECK (sex IN ('female', 'male')),
        birth_date         date NOT NULL,
        nik                text,
        village_code       text NOT NULL REFERENCES regions (code),
        district_code      text GENERATED ALWAYS AS (substr(village_code, 1, 8)) STORED,
        regency_code       text GENERATED ALWAYS AS (substr(village_code, 1, 5)) STORED,
        school_status      text NOT NULL,
        living_arrangement text NOT NULL,
        mapping_categories text[] NOT NULL DEFAULT '{}',
        work               jsonb,
        root_causes        text[] NOT NULL DEFAULT '{}',
        classification     jsonb NOT NULL,
        status             text NOT NULL,
        version            integer NOT NULL DEFAULT 1,
        created_at         timestamptz NOT NULL,
        updated_at         timestamptz NOT NULL,
        created_by         text NOT NULL
    )""",
    "CREATE INDEX children_regency ON children (regency_code, created_at, id)",
    "CREATE INDEX children_village ON children (village_code, created_at, id)",
    "CREATE INDEX children_nik ON children (nik) WHERE nik IS NOT NULL",
    """
    CREATE TABLE case_history (
        id          bigserial PRIMARY KEY,
        child_id    uuid NOT NULL REFERENCES children (id),
        at          timestamptz NOT NULL,
        actor       text NOT NULL,
        actor_role  text NOT NULL,
        from_status text,
        to_status   text NOT NULL,
        reason      text NOT NULL
    )""",
    "CREATE INDEX case_history_child ON case_history (child_id, id)",
    """
    CREATE TABLE consents (
        id            uuid PRIMARY KEY,
        child_id      uuid NOT NULL REFERENCES children (id),
        basis         text NOT NULL CHECK (basis IN ('guardian', 'legal_basis')),
        given_by      text,
        relation      text,
        legal_reason  text,
        given_on      date NOT NULL,
        scope         text[] NOT NULL,
        document_ref  text,
        recorded_at   timestamptz NOT NULL,
        recorded_by   text NOT NULL
    )""",
    "CREATE INDEX consents_child ON consents (child_id)",
    """
    CREATE TABLE flags (
        id          uuid PRIMARY KEY,
        child_id    uuid NOT NULL REFERENCES children (id),
        consent_id  uuid NOT NULL REFERENCES consents (id),
        root_causes text[] NOT NULL,
        needs       text[] NOT NULL,
        flagged_at  timestamptz NOT NULL,
        flagged_by  text NOT NULL
    )""",
    """
    CREATE TABLE audit_log (
        id         bigserial PRIMARY KEY,
        at         timestamptz NOT NULL,
        actor      text NOT NULL,
        actor_role text NOT NULL,
        action     text NOT NULL,
        child_id   uuid,
        client_ip  text,
        trace_id   text
    )""",
    "CREATE INDEX audit_log_child ON audit_log (child_id, id)",
    """
    CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
    END $$""",
    """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()""",
    """
    CREATE TABLE idempotency_keys (
        actor       text NOT NULL,
        key         text NOT NULL,
        route       text NOT NULL,
        resource_id uuid NOT NULL,
        created_at  timestamptz NOT NULL,
        PRIMARY KEY (actor, key)
    )""",
]


def upgrade() -> None:
    regions.create_and_load(op)
    execute_all(op, SCHEMA)


def downgrade() -> None:
    execute_all(op, [
        "DROP TABLE idempotency_keys", "DROP TABLE audit_log", "DROP FUNCTION audit_log_is_append_only",
        "DROP TABLE flags", "DROP TABLE consents", "DROP TABLE case_history", "DROP TABLE children",
        "DROP TABLE households", "DROP TABLE region_datasets", "DROP TABLE regions",
    ])
