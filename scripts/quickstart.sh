#!/usr/bin/env bash
# One command for a newcomer on a fresh Debian 12 machine with the .NET 10 SDK:
# installs and starts PostgreSQL, Redis and age (scripts/local-services.sh), publishes the host,
# provisions two demo tenants, runs the nightly job (verify every tenant + the fleet-wide proof),
# and checks every evidence file it wrote. Safe to run again: every runbook is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Assigned first so that a failure of the script stops this one (set -e ignores it inside eval "$(...)").
service_env=$(bash scripts/local-services.sh)
eval "$service_env"
echo "== publishing runbook-host"
dotnet publish host -c Release -o publish --nologo -v quiet
host=./publish/runbook-host

echo "== what is configured"
"$host" doctor || true

echo "== the runbooks (pinned by runbooks/runbooks.lock)"
"$host" list

echo "== provision two demo tenants (spec §10: key, credentials, SOPS file, PostgreSQL, Redis, verification, registry)"
"$host" run provision --tenant acme --tenant globex

echo "== the nightly job: verify every tenant, then the fleet-wide isolation proof"
"$host" run verify --all-tenants

echo "== the registry"
"$host" tenants

echo "== check every evidence file (signatures and per-tenant chains)"
"$host" evidence verify evidence

cat <<'DONE'

Done. Next steps:
  ./publish/runbook-host run rotate-keys --tenant acme --param reason=scheduled
  ./publish/runbook-host run deprovision --tenant globex --dry-run
  ./publish/runbook-host secrets decrypt .secrets/tenants/acme/secrets.enc.yaml --identity .secrets/tenants/acme/key.age
MinIO and Qdrant are off here (not installable on this machine); see deploy/README.md to add them.
DONE
