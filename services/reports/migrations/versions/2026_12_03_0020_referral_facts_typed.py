"""The referral counters' insert triggers read their facts from the inserted rows' columns
(`rm_referral_facts_of`), no longer from each row made a jsonb document; `rm_referral_facts` (jsonb:
the row triggers, the refill) reads its fields into the same function. The counts are the same, so
nothing is counted again (issue 27).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from alembic import op

from reports.readmodels import counting
from sprpa_shared.migrations import execute_all

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        counting.REFERRAL_FACTS_OF_V1, counting.REFERRAL_FACTS_V2,
        counting.REFERRALS_INSERTED_V2, counting.NEED_ROWS_INSERTED_V2,
        "DROP FUNCTION rm_referral_rows_counted(text, jsonb)",
    ])


def downgrade() -> None:
    execute_all(op, [
        counting.REFERRAL_ROWS_COUNTED_V1,
        *map(counting.or_replace, [counting.REFERRALS_INSERTED_V1, counting.NEED_ROWS_INSERTED_V1,
                                   counting.REFERRAL_FACTS_V1]),
        "DROP FUNCTION rm_referral_facts_of(text, timestamptz, text, text, text, timestamptz, timestamptz, boolean)",
    ])
