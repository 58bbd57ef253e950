#!/usr/bin/env bash
# First start of the compose PostgreSQL: one role and one database per service. Services share
# no database; each role owns only its own.
set -euo pipefail
for service in web registry providers referral reports notify; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="sprpa_${service}" -v password="${SPRPA_DB_PASSWORD}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
