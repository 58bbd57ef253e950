"""Bulk imports of baseline surveys and their row-level issues.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        CREATE TABLE imports (
            id               uuid PRIMARY KEY,
            sha256           text NOT NULL,
            file_name        text NOT NULL,
            file_format      text NOT NULL,
            file_bytes       bigint NOT NULL,
            mode             text NOT NULL CHECK (mode IN ('all_or_nothing', 'valid_rows_only')),
            status           text NOT NULL,
            spooled_on       text NOT NULL,
            total_rows       integer NOT NULL DEFAULT 0,
            processed_rows   integer NOT NULL DEFAULT 0,
            valid_rows       integer NOT NULL DEFAULT 0,
            error_rows       integer NOT NULL DEFAULT 0,
            created_children integer NOT NULL DEFAULT 0,
            duplicate_rows   integer NOT NULL DEFAULT 0,
            failure          text,
            actor            text NOT NULL,
            actor_role       text NOT NULL,
            regency_codes    text[] NOT NULL,
            village_code     text,
            created_at       timestamptz NOT NULL,
            started_at       timestamptz,
            finished_at      timestamptz,
            UNIQUE (sha256, mode)
        )""",
        "CREATE INDEX imports_queue ON imports (spooled_on, created_at) WHERE status IN ('queued', 'processing')",
        """
        CREATE TABLE import_issues (
            import_id  uuid NOT NULL REFERENCES imports (id),
            row_number integer NOT NULL,
            kind       text NOT NULL CHECK (kind IN ('error', 'duplicate')),
            field      text,
            message    text NOT NULL,
            child_id   uuid
        )""",
        "CREATE INDEX import_issues_import ON import_issues (import_id, row_number)",
    ])


def downgrade() -> None:
    execute_all(op, ["DROP TABLE import_issues", "DROP TABLE imports"])
