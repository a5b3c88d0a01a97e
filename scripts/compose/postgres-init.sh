#!/bin/sh
# Run once by the postgres image, on an empty volume (docker-compose.yml mounts it in
# /docker-entrypoint-initdb.d): a role and a database for Dripline, and a role for Temporal that
# creates its own two databases (temporal, temporal_visibility: scripts/compose/temporal-schema.sh).
# Each service signs in with its own password and owns only its databases. (No `set -u`: the image
# sources a script that is not executable, into its own shell.)
set -e
: "${DRIPLINE_DB_PASSWORD:?set DRIPLINE_DB_PASSWORD}"
: "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
  -v dripline_password="$DRIPLINE_DB_PASSWORD" -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE dripline LOGIN PASSWORD :'dripline_password';
-- The C locale: text sorts and folds case as in SQLite (README, "Ports, data and reset").
CREATE DATABASE dripline OWNER dripline TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C';
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
SQL
