#!/bin/sh
# The temporal-namespace service (temporalio/admin-tools), once the Temporal server answers: registers
# Dripline's namespace (TEMPORAL_NAMESPACE) unless it exists. Its retention (TEMPORAL_RETENTION, 168h, a week, by
# default) is how long a finished workflow's history stays readable in the Temporal Web UI. Then Dripline's search
# attributes (workflows/contracts.ts SEARCH_ATTRIBUTES), as Keyword, unless the namespace has them: retry and
# journey workflows cannot start without them.
set -eu
namespace="${TEMPORAL_NAMESPACE:-default}"
if temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  temporal operator namespace create --namespace "$namespace" --retention "${TEMPORAL_RETENTION:-168h}"
fi
existing="$(temporal operator search-attribute list --namespace "$namespace" 2>/dev/null || true)"
for name in DriplineRun DriplineFlow DriplineContact DriplineOutcome; do
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --namespace "$namespace" --name "$name" --type Keyword
  fi
done
