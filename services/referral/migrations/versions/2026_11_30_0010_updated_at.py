"""When a case and a referral last changed, so that other systems can poll for what changed since
they last read (`updated_since`). A case changes with anything on its timeline; earlier rows take
their latest recorded moment.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE referrals ADD COLUMN updated_at timestamptz")
    op.execute("UPDATE referrals SET updated_at = greatest(offered_at, answered_at, started_at, ended_at)")
    op.execute("ALTER TABLE referrals ALTER COLUMN updated_at SET NOT NULL")
    op.execute("CREATE INDEX referrals_changes ON referrals (updated_at, id)")
    op.execute("ALTER TABLE cases ADD COLUMN updated_at timestamptz")
    op.execute("""UPDATE cases SET updated_at = greatest(flagged_at, settled_at,
                      (SELECT max(at) FROM timeline WHERE timeline.case_id = cases.id))""")
    op.execute("ALTER TABLE cases ALTER COLUMN updated_at SET NOT NULL")
    op.execute("CREATE INDEX cases_changes ON cases (updated_at, id)")


def downgrade() -> None:
    op.execute("ALTER TABLE cases DROP COLUMN updated_at")
    op.execute("ALTER TABLE referrals DROP COLUMN updated_at")
