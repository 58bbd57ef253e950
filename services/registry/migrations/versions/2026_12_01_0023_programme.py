"""The programme around the cases (issue 26): a desa's institutions and their history, community
activities with their sessions and the registered children who took part, each kabupaten's versioned
rule for prevention through activities, a case's facilitator with history, remediation costs, and a
desa's roadmap milestones. provider_access keeps the referral's service code, for costs.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_PLACE = "village_code text NOT NULL, regency_code text GENERATED ALWAYS AS (substr(village_code, 1, 5)) STORED"


def upgrade() -> None:
    op.execute(f"""
        CREATE TABLE institutions (
            id             uuid PRIMARY KEY,
            {_PLACE},
            type           text NOT NULL,
            name           text NOT NULL,
            status         text NOT NULL,
            formed_on      date,
            decree_number  text,
            decreed_on     date,
            members        jsonb NOT NULL DEFAULT '[]',
            named_members  text,
            version        integer NOT NULL,
            created_at     timestamptz NOT NULL,
            updated_at     timestamptz NOT NULL,
            updated_by     text NOT NULL,
            CHECK (status <> 'decreed' OR (decree_number IS NOT NULL AND decreed_on IS NOT NULL))
        )""")
    op.execute("CREATE INDEX institutions_by_village ON institutions (village_code, type)")
    op.execute("""
        CREATE TABLE institution_history (
            id             bigserial PRIMARY KEY,
            institution_id uuid NOT NULL REFERENCES institutions (id),
            at             timestamptz NOT NULL,
            actor          text NOT NULL,
            from_status    text,
            to_status      text NOT NULL,
            decree_number  text,
            decreed_on     date,
            members        integer NOT NULL
        )""")
    op.execute("CREATE INDEX institution_history_by_institution ON institution_history (institution_id, at)")
    op.execute(f"""
        CREATE TABLE activities (
            id                        uuid PRIMARY KEY,
            {_PLACE},
            kind                      text NOT NULL,
            topic                     text NOT NULL,
            recurring                 boolean NOT NULL,
            organiser_institution_id  uuid REFERENCES institutions (id),
            organiser_organization_id uuid,
            created_at                timestamptz NOT NULL,
            created_by                text NOT NULL,
            CHECK (organiser_institution_id IS NULL OR organiser_organization_id IS NULL)
        )""")
    op.execute("CREATE INDEX activities_by_village ON activities (village_code, created_at)")
    op.execute("""
        CREATE TABLE activity_sessions (
            id              uuid PRIMARY KEY,
            activity_id     uuid NOT NULL REFERENCES activities (id),
            held_on         date NOT NULL,
            anonymous       jsonb NOT NULL,
            anonymous_total integer NOT NULL CHECK (anonymous_total >= 0),
            recorded_at     timestamptz NOT NULL,
            recorded_by     text NOT NULL,
            UNIQUE (activity_id, held_on)
        )""")
    op.execute("""
        CREATE TABLE session_children (
            session_id uuid NOT NULL REFERENCES activity_sessions (id),
            child_id   uuid NOT NULL REFERENCES children (id),
            held_on    date NOT NULL,
            kind       text NOT NULL,
            PRIMARY KEY (session_id, child_id)
        )""")
    op.execute("CREATE INDEX session_children_by_child ON session_children (child_id, held_on)")
    op.execute("""
        CREATE TABLE prevention_rules (
            regency_code   text NOT NULL,
            version        integer NOT NULL,
            min_sessions   integer NOT NULL CHECK (min_sessions BETWEEN 1 AND 100),
            window_months  integer NOT NULL CHECK (window_months BETWEEN 1 AND 24),
            kinds          text[] NOT NULL CHECK (cardinality(kinds) > 0),
            effective_from date NOT NULL,
            set_at         timestamptz NOT NULL,
            set_by         text NOT NULL,
            PRIMARY KEY (regency_code, version)
        )""")
    op.execute("""
        CREATE TABLE case_assignments (
            id             bigserial PRIMARY KEY,
            child_id       uuid NOT NULL REFERENCES children (id),
            facilitator_id uuid,
            assigned_at    timestamptz NOT NULL,
            assigned_by    text NOT NULL,
            reason         text,
            ended_at       timestamptz
        )""")
    op.execute("CREATE UNIQUE INDEX case_assignments_current ON case_assignments (child_id) WHERE ended_at IS NULL")
    op.execute("CREATE INDEX case_assignments_by_facilitator ON case_assignments (facilitator_id) "
               "WHERE ended_at IS NULL")
    op.execute("""
        CREATE TABLE facilitators (
            account_id   uuid PRIMARY KEY,
            village_code text,
            active       boolean NOT NULL,
            changed_at   timestamptz NOT NULL
        )""")
    op.execute(f"""
        CREATE TABLE costs (
            id              uuid PRIMARY KEY,
            {_PLACE},
            amount_idr      bigint NOT NULL CHECK (amount_idr > 0),
            funding_source  text NOT NULL,
            spent_on        date NOT NULL,
            referral_id     uuid,
            child_id        uuid REFERENCES children (id),
            service_code    text,
            organization_id uuid,
            activity_id     uuid REFERENCES activities (id),
            recorded_at     timestamptz NOT NULL,
            recorded_by     text NOT NULL,
            CHECK ((referral_id IS NULL) <> (activity_id IS NULL))
        )""")
    op.execute("CREATE INDEX costs_by_place ON costs (regency_code, spent_on)")
    op.execute("""
        CREATE TABLE village_milestones (
            village_code text NOT NULL,
            milestone    text NOT NULL,
            reached_on   date NOT NULL,
            reference    text,
            recorded_at  timestamptz NOT NULL,
            recorded_by  text NOT NULL,
            PRIMARY KEY (village_code, milestone)
        )""")
    op.execute("ALTER TABLE provider_access ADD COLUMN need text")


def downgrade() -> None:
    op.execute("ALTER TABLE provider_access DROP COLUMN need")
    for table in ("village_milestones", "costs", "facilitators", "case_assignments", "prevention_rules",
                  "session_children", "activity_sessions", "activities", "institution_history", "institutions"):
        op.execute(f"DROP TABLE {table}")
