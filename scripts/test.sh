#!/usr/bin/env bash
# Runs the whole test suite against real PostgreSQL and Redis (started by local-services.sh)
# and the real age CLI. MinIO/Qdrant tests use in-process stand-ins unless
# RUNBOOKHOST_Minio__Endpoint / RUNBOOKHOST_Qdrant__Endpoint point at real servers (deploy/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
# Assigned first so that a failure of the script stops this one (set -e ignores it inside eval "$(...)").
# RUNBOOKHOST_TEST_TOOLS=1: also the tools only the tests use (chromium for the report's browser tests).
service_env=$(RUNBOOKHOST_TEST_TOOLS=1 bash scripts/local-services.sh)
eval "$service_env"
export RUNBOOKHOST_TEST_POSTGRES="$RUNBOOKHOST_Postgres__AdminConnectionString"
export RUNBOOKHOST_TEST_REDIS="$RUNBOOKHOST_Redis__Configuration"
# The tests start their own nats-server per test class; the machine's (the quickstart's) is never theirs.
unset RUNBOOKHOST_Nats__Url RUNBOOKHOST_Nats__ConfigFile RUNBOOKHOST_Nats__PidFile RUNBOOKHOST_Nats__StoreDir RUNBOOKHOST_Nats__MonitorUrl
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test runbook-host.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line for whoever reads only the end (summed over test projects).
total() { grep -E "^ +$1: +[0-9]+" "$log" | awk '{s+=$2} END {print s+0}'; }
echo "$(total Passed) passed, $(total Failed) failed, $(total Skipped) skipped"
exit "$status"
