#!/usr/bin/env bash
# One command for a newcomer on a fresh Debian 12 machine with the .NET 10 SDK:
# installs and starts PostgreSQL, Redis, age and the Docker engine (scripts/local-services.sh), publishes the host,
# provisions two demo tenants (storage, keys, and each tenant's own internal network and workload), runs the nightly
# job (verify every tenant + the fleet-wide proof), checks every evidence file it wrote, and writes the auditor's
# report. Safe to run again: every runbook is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Assigned first so that a failure of the script stops this one (set -e ignores it inside eval "$(...)").
service_env=$(bash scripts/local-services.sh)
eval "$service_env"
echo "== publishing runbook-host"
dotnet publish host -c Release -o publish --nologo -v quiet
host=./publish/runbook-host
# The docker network provider (docs/network.md) with the tiny local image local-services.sh built: never pulled.
# It manages host firewall rules for each tenant's bridge, so it needs root; without root the network steps are skipped.
if [ "$(id -u)" -eq 0 ]; then export RUNBOOKHOST_Network__Docker__Image=local/runbook-host-busybox:1; fi

echo "== what is configured"
"$host" doctor || true

echo "== the runbooks (pinned by runbooks/runbooks.lock)"
"$host" list

echo "== provision two demo tenants (spec §10: key, credentials, SOPS file, PostgreSQL, Redis; their networks; verification, registry)"
"$host" run provision --tenant acme --tenant globex --verbose   # every line names its tenant

echo "== the nightly job: verify every tenant, then the fleet-wide isolation proof"
"$host" run verify --all-tenants

echo "== the registry"
"$host" tenants

if [ -n "${RUNBOOKHOST_Network__Docker__Image:-}" ]; then
  echo "== network isolation, seen with the docker CLI: an internal network and a workload per tenant, nothing shared"
  docker network ls --filter label=runbook-host.tenant --format '{{.Name}}  internal={{.Internal}}'
  docker ps --filter label=runbook-host.tenant --format '{{.Names}}  {{.Networks}}'
fi

echo "== check every evidence file (signatures, chains, heads, and the registry's record of every run)"
"$host" evidence verify evidence

echo "== publish the chain heads (an auditor keeps this file to detect truncation offline)"
"$host" evidence heads --out evidence-heads.json

echo "== the auditor's report: one self-contained HTML file"
"$host" report evidence -o report.html

cat <<'DONE'

Done. Open report.html in a browser (it needs no network). Next steps:
  ./publish/runbook-host run rotate-keys --tenant acme --param reason=scheduled
  ./publish/runbook-host run deprovision --tenant globex --dry-run
  ./publish/runbook-host secrets decrypt .secrets/tenants/acme/secrets.enc.yaml --identity .secrets/tenants/acme/key.age
MinIO and Qdrant are off here (not installable on this machine); see deploy/README.md to add them.
DONE
