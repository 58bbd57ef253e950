"""Read models fed only by events (pseudonymous ids and codes, never names or NIK), pilot
targets set by districts, per-consumer progress for freshness, and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.audit import AUDIT_DDL, AUDIT_DROP
from sprpa_shared.migrations import execute_all

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = [
    """
    CREATE TABLE rm_children (
        child_id           uuid PRIMARY KEY,
        village_code       text NOT NULL,
        sex                text NOT NULL,
        birth_year         smallint NOT NULL,
        mapping_categories text[] NOT NULL,
        classification     text NOT NULL,
        school_at_intake   text,
        school_status      text,
        living_arrangement text,
        registered_at      timestamptz NOT NULL,
        status             text NOT NULL,
        status_at          timestamptz NOT NULL,
        changed_at         timestamptz NOT NULL,
        merged_into        uuid
    )""",
    "CREATE INDEX rm_children_place ON rm_children (village_code text_pattern_ops)",
    """
    CREATE TABLE rm_case_moves (
        event_id     uuid PRIMARY KEY,
        child_id     uuid NOT NULL,
        village_code text NOT NULL,
        at           timestamptz NOT NULL,
        from_status  text,
        to_status    text NOT NULL
    )""",
    "CREATE INDEX rm_case_moves_place ON rm_case_moves (village_code text_pattern_ops, to_status)",
    """
    CREATE TABLE rm_visits (
        visit_id     uuid PRIMARY KEY,
        child_id     uuid NOT NULL,
        village_code text NOT NULL,
        visited_on   date NOT NULL,
        outcome      text NOT NULL
    )""",
    """
    CREATE TABLE rm_flags (
        event_id       uuid PRIMARY KEY,
        child_id       uuid NOT NULL,
        village_code   text NOT NULL,
        flagged_at     timestamptz NOT NULL,
        age            smallint NOT NULL,
        classification text NOT NULL,
        needs          text[] NOT NULL
    )""",
    """
    CREATE TABLE rm_referrals (
        referral_id     uuid PRIMARY KEY,
        case_id         uuid,
        need_id         uuid,
        child_id        uuid NOT NULL,
        village_code    text NOT NULL,
        category        text NOT NULL,
        organization_id uuid NOT NULL,
        offering_id     uuid,
        backbone        boolean NOT NULL,
        status          text NOT NULL,
        outcome         text,
        reason          text,
        offered_at      timestamptz,
        accepted_at     timestamptz,
        started_at      timestamptz,
        ended_at        timestamptz,
        changed_at      timestamptz NOT NULL
    )""",
    "CREATE INDEX rm_referrals_place ON rm_referrals (village_code text_pattern_ops)",
    """
    CREATE TABLE rm_gaps (
        gap_id                   uuid PRIMARY KEY,
        need_id                  uuid NOT NULL,
        child_id                 uuid NOT NULL,
        village_code             text NOT NULL,
        category                 text NOT NULL,
        reason                   text NOT NULL,
        backbone_organization_id uuid,
        recorded_on              date NOT NULL
    )""",
    "CREATE INDEX rm_gaps_place ON rm_gaps (village_code text_pattern_ops)",
    """
    CREATE TABLE rm_organizations (
        organization_id uuid PRIMARY KEY,
        name            text,
        kind            text NOT NULL,
        regency_code    text NOT NULL,
        version         integer NOT NULL
    )""",
    """
    CREATE TABLE rm_offerings (
        offering_id     uuid PRIMARY KEY,
        organization_id uuid NOT NULL,
        category        text NOT NULL,
        course_type     text,
        version         integer NOT NULL
    )""",
    """
    CREATE TABLE rm_progress (
        consumer      text PRIMARY KEY,
        last_event_at timestamptz NOT NULL,
        applied_at    timestamptz NOT NULL,
        events        bigint NOT NULL
    )""",
    """
    CREATE TABLE pilot_targets (
        village_code      text PRIMARY KEY,
        withdrawn_target  integer NOT NULL CHECK (withdrawn_target >= 0),
        prevented_target  integer NOT NULL CHECK (prevented_target >= 0),
        updated_at        timestamptz NOT NULL,
        updated_by        text NOT NULL
    )""",
]


def upgrade() -> None:
    execute_all(op, SCHEMA + AUDIT_DDL)


def downgrade() -> None:
    execute_all(op, AUDIT_DROP + [
        "DROP TABLE pilot_targets", "DROP TABLE rm_progress", "DROP TABLE rm_offerings", "DROP TABLE rm_organizations",
        "DROP TABLE rm_gaps", "DROP TABLE rm_referrals", "DROP TABLE rm_flags", "DROP TABLE rm_visits",
        "DROP TABLE rm_case_moves", "DROP TABLE rm_children",
    ])
