#!/usr/bin/env bash
# npm test: type-check, lint, then every test (unit, workflows on a real Temporal server, SMTP on real
# SMTP servers, the database tests on SQLite and a throwaway PostgreSQL server, the docker-compose check,
# the browser test in headless Chromium).
# Installs what the tests need and is missing: the Temporal CLI and Java test server (into the tool
# cache), and, when run as root on Debian, chromium, postgresql and docker-compose.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
# The database tests start a throwaway PostgreSQL server (test/postgres.ts) with initdb and pg_ctl.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} from Debian's packages..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "The tests need: ${missing[*]}. Install them (Debian: sudo apt-get install ${missing[*]}) and run again." >&2
    exit 1
  fi
fi
bash scripts/ensure-tools.sh temporal >/dev/null
bash scripts/ensure-tools.sh test-server >/dev/null

export NEXT_TELEMETRY_DISABLED=1
npx tsc --noEmit -p .
# Lint and formatting (Biome, biome.json), read-only: `npm run format` rewrites what it reports.
npx biome ci .
npx vitest run "$@"
