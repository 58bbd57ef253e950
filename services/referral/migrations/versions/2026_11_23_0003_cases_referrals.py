"""Cases, needs, referrals, gaps, the case timeline, per-kabupaten settings, response stats, audit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.audit import AUDIT_DDL, AUDIT_DROP
from sprpa_shared.migrations import execute_all

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = [
    """
    CREATE TABLE regency_settings (
        regency_code    text PRIMARY KEY,
        parallel_offers smallint NOT NULL CHECK (parallel_offers BETWEEN 1 AND 10),
        sla_hours       smallint NOT NULL CHECK (sla_hours BETWEEN 1 AND 720),
        weekends_count  boolean NOT NULL,
        version         integer NOT NULL,
        updated_at      timestamptz NOT NULL,
        updated_by      text NOT NULL
    )""",
    """
    CREATE TABLE cases (
        id             uuid PRIMARY KEY,
        child_id       uuid NOT NULL,
        flag_event_id  uuid NOT NULL UNIQUE,
        flag_id        uuid UNIQUE,
        consent_id     uuid,
        village_code   text NOT NULL,
        regency_code   text NOT NULL,
        age            smallint NOT NULL,
        sex            text NOT NULL,
        classification text NOT NULL,
        status         text NOT NULL CHECK (status IN ('open', 'settled', 'refused')),
        refused_reason text,
        flagged_at     timestamptz NOT NULL,
        settled_at     timestamptz
    )""",
    "CREATE INDEX cases_child ON cases (child_id, flagged_at DESC)",
    """
    CREATE TABLE needs (
        id       uuid PRIMARY KEY,
        case_id  uuid NOT NULL REFERENCES cases (id),
        category text NOT NULL,
        status   text NOT NULL CHECK (status IN ('matching', 'accepted', 'in_service', 'completed', 'unmet')),
        UNIQUE (case_id, category)
    )""",
    """
    CREATE TABLE referrals (
        id              uuid PRIMARY KEY,
        need_id         uuid NOT NULL REFERENCES needs (id),
        case_id         uuid NOT NULL REFERENCES cases (id),
        child_id        uuid NOT NULL,
        village_code    text NOT NULL,
        regency_code    text NOT NULL,
        category        text NOT NULL,
        organization_id uuid NOT NULL,
        offering_id     uuid,
        backbone        boolean NOT NULL,
        area            text,
        status          text NOT NULL,
        offered_at      timestamptz NOT NULL,
        deadline        timestamptz NOT NULL,
        answered_at     timestamptz,
        started_at      timestamptz,
        ended_at        timestamptz,
        reason          text,
        reason_text     text,
        outcome         text,
        version         integer NOT NULL
    )""",
    "CREATE INDEX referrals_need ON referrals (need_id)",
    "CREATE INDEX referrals_inbox ON referrals (organization_id, offered_at DESC, id DESC)",
    "CREATE INDEX referrals_regency ON referrals (regency_code, offered_at DESC, id DESC)",
    "CREATE INDEX referrals_due ON referrals (deadline) WHERE status = 'offered'",
    "CREATE INDEX referrals_held ON referrals (offering_id) WHERE status IN ('accepted', 'in_service')",
    # First acceptance wins, guaranteed by the database too: one holder per need at a time.
    "CREATE UNIQUE INDEX referrals_one_holder ON referrals (need_id) WHERE status IN ('accepted', 'in_service')",
    """
    CREATE TABLE gaps (
        id                       uuid PRIMARY KEY,
        need_id                  uuid NOT NULL UNIQUE REFERENCES needs (id),
        case_id                  uuid NOT NULL REFERENCES cases (id),
        child_id                 uuid NOT NULL,
        village_code             text NOT NULL,
        regency_code             text NOT NULL,
        category                 text NOT NULL,
        reason                   text NOT NULL CHECK (reason IN ('no_candidates', 'exhausted')),
        backbone_organization_id uuid,
        recorded_at              timestamptz NOT NULL
    )""",
    "CREATE INDEX gaps_place ON gaps (regency_code, recorded_at DESC, id DESC)",
    """
    CREATE TABLE timeline (
        id              bigserial PRIMARY KEY,
        case_id         uuid NOT NULL REFERENCES cases (id),
        at              timestamptz NOT NULL,
        actor           text NOT NULL,
        actor_role      text NOT NULL,
        what            text NOT NULL,
        need_id         uuid,
        referral_id     uuid,
        organization_id uuid,
        reason          text,
        note            text
    )""",
    "CREATE INDEX timeline_case ON timeline (case_id, id)",
    """
    CREATE TABLE organization_stats (
        organization_id  uuid PRIMARY KEY,
        responded        integer NOT NULL,
        accepted         integer NOT NULL,
        expired          integer NOT NULL,
        response_seconds double precision NOT NULL
    )""",
]


def upgrade() -> None:
    execute_all(op, SCHEMA + AUDIT_DDL)


def downgrade() -> None:
    execute_all(op, AUDIT_DROP + [
        "DROP TABLE organization_stats", "DROP TABLE timeline", "DROP TABLE gaps", "DROP TABLE referrals",
        "DROP TABLE needs", "DROP TABLE cases", "DROP TABLE regency_settings",
    ])
