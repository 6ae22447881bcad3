#!/usr/bin/env bash
# One command for a newcomer on a fresh Debian 12 machine with the .NET 10 SDK:
# installs and starts PostgreSQL, Redis, age and the Docker engine (scripts/local-services.sh), publishes the host,
# provisions two demo tenants (storage, keys, their own CA and message-bus account, and each tenant's own internal network
# and workload), onboards a component of each and tries the bus with its certificate, runs the nightly
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

# The message bus (docs/nats.md): nats-server runs with TLS and client certificates only, so it starts once the platform
# PKI and its configuration exist. `nats init` creates the root CA the first time, the server certificate, the
# configuration and the client-CA bundle; local-services.sh then starts nats-server. Its files live under /var/lib (root).
if [ "$(id -u)" -eq 0 ] && [ -z "${RUNBOOKHOST_Nats__Url:-}" ]; then
  echo "== the message bus: platform CA, server certificate and nats-server configuration, then nats-server (TLS, client certificates)"
  RUNBOOKHOST_Nats__Url='tls://127.0.0.1:4222' "$host" nats init
  service_env=$(bash scripts/local-services.sh)
  eval "$service_env"
fi
echo "== what is configured"
"$host" doctor || true

echo "== the runbooks (pinned by runbooks/runbooks.lock)"
"$host" list

echo "== provision two demo tenants (spec §10: key, credentials, SOPS file, PostgreSQL, Redis; their networks; verification, registry)"
"$host" run provision --tenant acme --tenant globex --verbose   # every line names its tenant

if [ -n "${RUNBOOKHOST_Nats__Url:-}" ]; then
  echo "== onboard one component per tenant: a certificate from the tenant's own CA and its package (ca-chain.pem, cert.pem, key.pem, nats.json)"
  "$host" run onboard --tenant acme --param component=agent
  "$host" run onboard --tenant globex --param component=agent
  packages="${RUNBOOKHOST_Paths__Secrets:-.secrets}/tenants"
  echo "== message-bus isolation by hand: acme's agent on its own subjects, then on globex's (refused by the server, exit 3)"
  "$host" nats try "$packages/acme/onboarding/agent.default" --subject acme.orders.created
  "$host" nats try "$packages/acme/onboarding/agent.default" --subject globex.orders.created || [ $? -eq 3 ]
fi
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
  ./publish/runbook-host secrets decrypt --tenant acme .secrets/tenants/acme/secrets.enc.yaml   # names the key version that opens it
  ./publish/runbook-host tenants --keys acme                                          # which key opens a backup of which dates
  ./publish/runbook-host run rotate-tenant-ca --tenant acme                           # new tenant CA, the old one trusted for the overlap
MinIO and Qdrant are off here (not installable on this machine); see deploy/README.md to add them.
DONE
