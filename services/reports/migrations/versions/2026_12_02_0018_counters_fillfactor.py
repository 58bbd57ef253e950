"""The counter tables keep room on each page for a counter's next value (issue 27).

A counter changes its `n` only, which no index holds, so PostgreSQL can write the new version on
the counter's own page with no new entry in its key's index (a HOT update), when the page has
room. With full pages (the default fill factor) 16-29% of a bulk import's counter
updates went to another page with a new key entry each. A table's existing pages keep their fill
until their rows move; the pages written from now on keep 30% free.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

COUNTERS = ("rm_child_counts", "rm_referral_counts", "rm_referral_hours")
FILLFACTOR = 70


def upgrade() -> None:
    execute_all(op, [f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})" for table in COUNTERS])


def downgrade() -> None:
    execute_all(op, [f"ALTER TABLE {table} RESET (fillfactor)" for table in COUNTERS])
