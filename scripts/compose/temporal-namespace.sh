#!/bin/sh
# The temporal-namespace service (temporalio/admin-tools), once the Temporal server answers: registers
# Dripline's namespace (TEMPORAL_NAMESPACE) unless it exists. Its retention (TEMPORAL_RETENTION, 168h, a week, by
# default) is how long a finished workflow's history stays readable in the Temporal Web UI.
set -eu
namespace="${TEMPORAL_NAMESPACE:-default}"
if temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  temporal operator namespace create --namespace "$namespace" --retention "${TEMPORAL_RETENTION:-168h}"
fi
