from alembic import context

from sprpa_shared.migrations import run_env

run_env(context)
