#!/usr/bin/env bash
# Finds or installs a tool Dripline needs and prints its path. Installs go to a cache outside the
# repo (DRIPLINE_TOOLS_DIR, default ~/.cache/dripline) that later runs and CI on this machine reuse.
#   scripts/ensure-tools.sh temporal      the Temporal CLI (dev server + Web UI)
#   scripts/ensure-tools.sh test-server   Temporal's Java test server (time skipping), as an executable
set -euo pipefail
cache="${DRIPLINE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dripline}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEMPORAL_CLI_VERSION=v1.5.1   # later tags carry a replace directive that `go install` refuses
TEST_SERVER_VERSION=1.38.0    # keep in step with scripts/temporal-test-server/pom.xml

case "${1:-}" in
  temporal)
    if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
    bin="$cache/temporal-$TEMPORAL_CLI_VERSION/bin/temporal"
    if [ ! -x "$bin" ]; then
      command -v go >/dev/null 2>&1 || { echo "Neither a 'temporal' CLI on PATH nor Go to build it: install Go (https://go.dev/dl) or the Temporal CLI." >&2; exit 1; }
      echo "Building the Temporal CLI $TEMPORAL_CLI_VERSION from the Go module proxy into $cache (first time only: several minutes on 2 cores)..." >&2
      GOBIN="$(dirname "$bin")" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2
    fi
    echo "$bin"
    ;;
  test-server)
    dir="$cache/temporal-test-server-$TEST_SERVER_VERSION"
    exe="$dir/temporal-test-server"
    if [ ! -x "$exe" ]; then
      command -v java >/dev/null 2>&1 || { echo "Temporal's test server needs Java 11+ (apt-get install default-jre-headless)." >&2; exit 1; }
      command -v mvn >/dev/null 2>&1 || { echo "Fetching Temporal's test server needs Maven (apt-get install maven)." >&2; exit 1; }
      mkdir -p "$dir"
      echo "Fetching Temporal's Java test server $TEST_SERVER_VERSION from Maven Central into $dir..." >&2
      mvn -q -f "$here/temporal-test-server/pom.xml" dependency:build-classpath -Dmdep.outputFile="$dir/classpath.txt" >&2
      cat > "$exe.tmp" <<SH
#!/bin/sh
# Temporal's Java test server; the TypeScript SDK runs it as: <port> --enable-time-skipping
exec java -Xss1m -cp "\$(cat '$dir/classpath.txt')" io.temporal.testserver.TestServer "\$@"
SH
      chmod +x "$exe.tmp" && mv "$exe.tmp" "$exe"
    fi
    echo "$exe"
    ;;
  *) echo "usage: $0 temporal|test-server" >&2; exit 2 ;;
esac
