"""The programme around the cases (issue 26): activity sessions and their reach, the registered
children who took part, institutions' changes, remediation costs; why a prevented child counts.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE rm_case_moves ADD COLUMN basis text")
    op.execute("""
        CREATE TABLE rm_activities (
            activity_id  uuid PRIMARY KEY,
            village_code text NOT NULL,
            kind         text NOT NULL,
            recurring    boolean NOT NULL
        )""")
    op.execute("""
        CREATE TABLE rm_activity_sessions (
            session_id      uuid PRIMARY KEY,
            activity_id     uuid NOT NULL,
            village_code    text NOT NULL,
            kind            text NOT NULL,
            held_on         date NOT NULL,
            anonymous       jsonb NOT NULL,
            anonymous_total integer NOT NULL,
            registered      integer NOT NULL
        )""")
    op.execute("CREATE INDEX rm_activity_sessions_place ON rm_activity_sessions (village_code text_pattern_ops, "
               "held_on)")
    op.execute("""
        CREATE TABLE rm_session_children (
            session_id   uuid NOT NULL,
            child_id     uuid NOT NULL,
            village_code text NOT NULL,
            held_on      date NOT NULL,
            kind         text NOT NULL,
            PRIMARY KEY (session_id, child_id)
        )""")
    op.execute("""
        CREATE TABLE rm_institution_changes (
            event_id       uuid PRIMARY KEY,
            institution_id uuid NOT NULL,
            village_code   text NOT NULL,
            type           text NOT NULL,
            status         text NOT NULL,
            decreed_on     date,
            members        integer NOT NULL,
            changed_on     date NOT NULL,
            at             timestamptz NOT NULL
        )""")
    op.execute("CREATE INDEX rm_institution_changes_by_institution ON rm_institution_changes (institution_id, at)")
    op.execute("""
        CREATE TABLE rm_costs (
            cost_id         uuid PRIMARY KEY,
            village_code    text NOT NULL,
            amount_idr      bigint NOT NULL,
            funding_source  text NOT NULL,
            spent_on        date NOT NULL,
            child_id        uuid,
            service_code    text,
            organization_id uuid,
            activity_id     uuid,
            activity_kind   text
        )""")
    op.execute("CREATE INDEX rm_costs_place ON rm_costs (village_code text_pattern_ops, spent_on)")


def downgrade() -> None:
    for table in ("rm_costs", "rm_institution_changes", "rm_session_children", "rm_activity_sessions",
                  "rm_activities"):
        op.execute(f"DROP TABLE {table}")
    op.execute("ALTER TABLE rm_case_moves DROP COLUMN basis")
