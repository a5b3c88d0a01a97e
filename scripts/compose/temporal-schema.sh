#!/bin/sh
# The temporal-schema service (temporalio/admin-tools), before the Temporal server starts: creates
# Temporal's two databases and brings their schemas to the version of this admin-tools image. Every
# step does nothing when it is already done (temporal-sql-tool's create and setup-schema are idempotent
# on PostgreSQL, temporalio/temporal#2104), so it runs on every `docker compose up`, and a newer
# Temporal image pair upgrades the schema before the newer server starts.
set -eu
: "${SQL_PASSWORD:?set TEMPORAL_DB_PASSWORD}"
sql() { temporal-sql-tool --plugin postgres12 --ep postgres -p 5432 -u temporal "$@"; }
sql --db temporal create
sql --db temporal setup-schema -v 0.0
sql --db temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned
sql --db temporal_visibility create
sql --db temporal_visibility setup-schema -v 0.0
sql --db temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned
echo "Temporal's schemas are up to date"
