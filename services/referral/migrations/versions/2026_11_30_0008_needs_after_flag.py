"""Needs after the flag (added, withdrawn, with preferences), closed cases, dates of what happened.

- a need can be added to an open case by the district (`added_at`, `added_by`) and withdrawn
  with a reason (`withdrawn`, a settled status); it carries the child's preferences;
- the engine's case is `closed` when the registry closes the child's case;
- a gap may also say that the child's preference could not be met (a need then has at most one
  gap of each reason);
- the replica knows the languages an offering is given in;
- a referral keeps the dates the provider gave for acceptance, start and end, beside the times
  they were entered.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = [
    "ALTER TABLE cases DROP CONSTRAINT cases_status_check",
    "ALTER TABLE cases ADD CONSTRAINT cases_status_check CHECK (status IN ('open', 'settled', 'refused', 'closed'))",
    "ALTER TABLE needs DROP CONSTRAINT needs_status_check",
    "ALTER TABLE needs ADD CONSTRAINT needs_status_check "
    "CHECK (status IN ('matching', 'accepted', 'in_service', 'completed', 'unmet', 'withdrawn'))",
    "ALTER TABLE needs ADD COLUMN preferences jsonb, ADD COLUMN added_at timestamptz, ADD COLUMN added_by text, "
    "ADD COLUMN withdrawn_reason text, ADD COLUMN withdrawn_at timestamptz",
    "ALTER TABLE gaps DROP CONSTRAINT gaps_reason_check",
    "ALTER TABLE gaps ADD CONSTRAINT gaps_reason_check "
    "CHECK (reason IN ('no_candidates', 'exhausted', 'preference_unmet'))",
    "ALTER TABLE gaps DROP CONSTRAINT gaps_need_id_key",
    "ALTER TABLE gaps ADD CONSTRAINT gaps_need_reason UNIQUE (need_id, reason)",
    "ALTER TABLE replica_offerings ADD COLUMN languages text[] NOT NULL DEFAULT '{}'",
    "ALTER TABLE referrals ADD COLUMN accepted_on date, ADD COLUMN started_on date, ADD COLUMN ended_on date",
]
DOWNGRADE = [
    "ALTER TABLE referrals DROP COLUMN accepted_on, DROP COLUMN started_on, DROP COLUMN ended_on",
    "ALTER TABLE replica_offerings DROP COLUMN languages",
    "DELETE FROM gaps WHERE reason = 'preference_unmet'",
    "ALTER TABLE gaps DROP CONSTRAINT gaps_need_reason",
    "ALTER TABLE gaps ADD CONSTRAINT gaps_need_id_key UNIQUE (need_id)",
    "ALTER TABLE gaps DROP CONSTRAINT gaps_reason_check",
    "ALTER TABLE gaps ADD CONSTRAINT gaps_reason_check CHECK (reason IN ('no_candidates', 'exhausted'))",
    "ALTER TABLE needs DROP COLUMN preferences, DROP COLUMN added_at, DROP COLUMN added_by, "
    "DROP COLUMN withdrawn_reason, DROP COLUMN withdrawn_at",
    "UPDATE needs SET status = 'unmet' WHERE status = 'withdrawn'",
    "ALTER TABLE needs DROP CONSTRAINT needs_status_check",
    "ALTER TABLE needs ADD CONSTRAINT needs_status_check "
    "CHECK (status IN ('matching', 'accepted', 'in_service', 'completed', 'unmet'))",
    "UPDATE cases SET status = 'settled' WHERE status = 'closed'",
    "ALTER TABLE cases DROP CONSTRAINT cases_status_check",
    "ALTER TABLE cases ADD CONSTRAINT cases_status_check CHECK (status IN ('open', 'settled', 'refused'))",
]


def upgrade() -> None:
    execute_all(op, UPGRADE)


def downgrade() -> None:
    execute_all(op, DOWNGRADE)
