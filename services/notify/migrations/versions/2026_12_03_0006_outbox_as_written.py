"""The outbox keeps each envelope as written, `json`: a claimed event is published byte for byte as
a handed-over one, and writing it costs no parse (sprpa_shared.migrations.outbox_as_written).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from alembic import op

from sprpa_shared.migrations import outbox_as_written, outbox_parsed

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    outbox_as_written(op)


def downgrade() -> None:
    outbox_parsed(op)
