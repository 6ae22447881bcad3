#!/usr/bin/env bash
# The issue-14 headline: every single-run figure side by side, in one run, with hyperfine — runbook-host against the
# shell recipe (bench/shell-recipe.sh: psql, redis-cli, age) and the floors (CREATE DATABASE, DROP DATABASE, process
# start), ratios first. Targets live here (and in docs/benchmarks.md), never in timed unit tests.
#
#   bash bench/headline.sh [RESULTS_DIR]          (bench/run.sh calls it as part 0)
#
#   RH=<published runbook-host>   reuse a published host; otherwise `dotnet publish host -c Release` (the default publish)
#   BENCH_SINGLE_ROUNDS  interleaved rounds (default 3): each round runs every variant, so load hits all alike
#   BENCH_SINGLE_RUNS    timed runs per variant and round (default 4); the figure is the median of all samples
#   RH_B=<another published runbook-host>, RH_B_LABEL=before   A/B: the same rounds also time this host (verify,
#                        provision, deprovision), interleaved with RH, so a before/after comparison shares the load
#   BENCH_NETWORK=0      skip the network store rows (default: on when root, dockerd answers and the local busybox
#                        image of scripts/local-services.sh exists)
#
# Every sample and `uptime` beside each round go to RESULTS_DIR (default bench/results/<timestamp>/); the table goes
# to RESULTS_DIR/headline.md and stdout. Scratch state (/tmp/rbh-headline.*, registry database bh_<run>, tenant ids
# h<run>…) is swept at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
RES="${1:-$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$RES"
ROUNDS="${BENCH_SINGLE_ROUNDS:-3}"
RUNS="${BENCH_SINGLE_RUNS:-4}"
say() { echo "bench/headline: $(date +%H:%M:%S) $*" >&2; }
command -v hyperfine >/dev/null || { say "installing hyperfine"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }

service_env=$(bash scripts/local-services.sh)
eval "$service_env"
# The machine's nats-server (the quickstart's) trusts only the PKI of the secrets folder that ran `nats init`, not the
# bench's scratch one: the bus is part of the figures only when asked, BENCH_NATS=1, on a machine whose bus was
# initialised from the secrets folder the bench is given (RUNBOOKHOST_Paths__Secrets).
if [ "${BENCH_NATS:-0}" != 1 ]; then
  unset RUNBOOKHOST_Nats__Url RUNBOOKHOST_Nats__ConfigFile RUNBOOKHOST_Nats__PidFile RUNBOOKHOST_Nats__StoreDir RUNBOOKHOST_Nats__MonitorUrl
fi
export PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres PGPASSWORD="${RUNBOOKHOST_LOCAL_PG_PASSWORD:-runbookhost-local}" PGSSLMODE=disable
export REDIS_ADMIN_USER=runbookhost_admin REDIS_ADMIN_PASS="${RUNBOOKHOST_LOCAL_REDIS_PASSWORD:-runbookhost-local}"
RUN="$(python3 -c 'import random, string; print("".join(random.choices(string.ascii_lowercase, k=4)))')"
SCRATCH="$(mktemp -d /tmp/rbh-headline.XXXXXX)"
if [ -z "${RH:-}" ]; then
  say "publishing the host (default publish)"
  dotnet publish host -c Release -o "$SCRATCH/host" -nologo -v q >"$RES/headline-publish.log" 2>&1 || { cat "$RES/headline-publish.log"; exit 1; }
  RH="$SCRATCH/host/runbook-host"
fi
export RH
# Only PostgreSQL and Redis (plus keys, SOPS, registry, evidence): the stores the shell recipe has too.
export RUNBOOKHOST_Paths__Secrets="$SCRATCH/secrets" RUNBOOKHOST_Paths__Evidence="$SCRATCH/evidence"
export RUNBOOKHOST_Paths__Cache="$SCRATCH/cache" RUNBOOKHOST_Paths__Logs="$SCRATCH/logs"
export RUNBOOKHOST_Registry__Database="bh_$RUN" RUNBOOKHOST_Redis__AclSave=true
export RUNBOOKHOST_Minio__Enabled=false RUNBOOKHOST_Qdrant__Enabled=false RUNBOOKHOST_Network__Provider=off
export SHELL_SECRETS="$SCRATCH/shell-secrets" BENCH_COUNTERS="$SCRATCH/counters" PREFIX="h$RUN"
mkdir -p "$BENCH_COUNTERS"

psql_admin() { psql -qAt -v ON_ERROR_STOP=1 -d postgres "$@"; }
rcli() { redis-cli -h 127.0.0.1 -p 6379 --no-auth-warning --user "$REDIS_ADMIN_USER" --pass "$REDIS_ADMIN_PASS" "$@"; }
cleanup() {
  set +e
  if [ "${NETWORK:-0}" = 1 ]; then
    say "cleanup: deprovisioning the network tenants with the product (its own teardown, firewall rules included)"
    mapfile -t nettenants < <(printf '%sna\n%snb\n' "$PREFIX" "$PREFIX"; for i in $(seq 1 "$(cat "$BENCH_COUNTERS/nethost" 2>/dev/null || echo 0)"); do printf '%sn%04d\n' "$PREFIX" "$i"; done)
    env $NETENV "$RH" run deprovision $(printf -- '--tenant %s ' "${nettenants[@]}") --json >/dev/null 2>&1
  fi
  say "cleanup: sweeping $PREFIX*"
  for db in $(psql_admin -c "SELECT datname FROM pg_database WHERE datname LIKE 'tenant\\_$PREFIX%' OR datname LIKE 'hfloor\\_$RUN%' OR datname = 'bh_$RUN'"); do
    psql_admin -c "DROP DATABASE \"$db\" WITH (FORCE)" >/dev/null
  done
  for role in $(psql_admin -c "SELECT rolname FROM pg_roles WHERE rolname LIKE 'tenant\\_$PREFIX%'"); do psql_admin -c "DROP ROLE \"$role\"" >/dev/null; done
  for user in $(rcli ACL USERS | grep "^tenant_$PREFIX"); do rcli ACL DELUSER "$user" >/dev/null; done
  rcli --scan --pattern "tenant:$PREFIX*" | xargs -r redis-cli -h 127.0.0.1 -p 6379 --no-auth-warning --user "$REDIS_ADMIN_USER" --pass "$REDIS_ADMIN_PASS" DEL >/dev/null
  rcli ACL SAVE >/dev/null
  if command -v docker >/dev/null; then
    # whatever the product's deprovision (above) left: containers, networks, volumes, and the host firewall rules
    # it labels with the tenant id (lib/Network/Docker/HostFirewall.cs)
    docker ps -a --format '{{.ID}} {{.Names}}' 2>/dev/null | awk -v p="tenant-$PREFIX" 'index($2, p) == 1 {print $1}' | xargs -r docker rm -f >/dev/null 2>&1
    docker network ls --format '{{.Name}}' 2>/dev/null | grep -E "^(tenant-$PREFIX|hfloornet$RUN)" | xargs -r docker network rm >/dev/null 2>&1
    docker volume ls -q 2>/dev/null | grep "^tenant-$PREFIX" | xargs -r docker volume rm >/dev/null 2>&1
    for tool in iptables ip6tables; do
      command -v "$tool-save" >/dev/null || continue
      "$tool-save" 2>/dev/null | PREFIX="$PREFIX" TOOL="$tool" python3 -c '
import os, shlex, subprocess, sys
table = None
for line in sys.stdin:
    line = line.strip()
    if line.startswith("*"):
        table = line[1:]
    elif line.startswith("-A ") and "tenant=" + os.environ["PREFIX"] in line:
        args = shlex.split(line); args[0] = "-D"
        subprocess.run([os.environ["TOOL"], "-t", table] + args, capture_output=True)
'
    done
  fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

# next NAME: the next fresh id of a variant's counter (each timed provision needs a tenant of its own)
cat > "$SCRATCH/next" <<'SH'
f="$BENCH_COUNTERS/$1"; i=$(( $(cat "$f" 2>/dev/null || echo 0) + 1 )); echo "$i" > "$f"; printf '%04d' "$i"
SH
NEXT="bash $SCRATCH/next"

# ---------------------------------------------------------------- warm-up (compile cache, resident tenants)
say "warm-up: compile provision/verify/deprovision, two resident tenants"
"$RH" run provision --tenant "${PREFIX}ra" --tenant "${PREFIX}rb" --tenant "${PREFIX}w" --json >"$RES/headline-warmup.out"
"$RH" run verify --tenant "${PREFIX}ra" --json >/dev/null
"$RH" run deprovision --tenant "${PREFIX}w" --json >/dev/null
B_VERIFY=() B_PROVISION=() B_DEPROVISION=()
if [ -n "${RH_B:-}" ]; then
  export RH_B
  L="${RH_B_LABEL:-B}"
  "$RH_B" run provision --tenant "${PREFIX}wb" --json >/dev/null
  "$RH_B" run verify --tenant "${PREFIX}ra" --json >/dev/null
  "$RH_B" run deprovision --tenant "${PREFIX}wb" --json >/dev/null
  B_VERIFY=(-n "run verify [$L]" "$RH_B run verify --tenant ${PREFIX}ra --json")
  B_PROVISION=(-n "run provision [$L]" "\$RH_B run provision --tenant ${PREFIX}b\$($NEXT hostb) --json >/dev/null")
  B_DEPROVISION=(-n "run deprovision [$L]" "\$RH_B run deprovision --tenant ${PREFIX}b\$($NEXT hostbdrop) --json >/dev/null")
fi
bash bench/shell-recipe.sh provision "${PREFIX}xw" "$SHELL_SECRETS" && bash bench/shell-recipe.sh deprovision "${PREFIX}xw" "$SHELL_SECRETS"

NETWORK=0
if [ "${BENCH_NETWORK:-1}" = 1 ] && [ "$(id -u)" = 0 ] && docker info >/dev/null 2>&1 \
   && docker image inspect local/runbook-host-busybox:1 >/dev/null 2>&1; then
  NETWORK=1
  NETENV="RUNBOOKHOST_Network__Provider=docker RUNBOOKHOST_Network__Docker__Image=local/runbook-host-busybox:1"
  say "network store: docker provider (local/runbook-host-busybox:1)"
  env $NETENV "$RH" run provision --tenant "${PREFIX}na" --tenant "${PREFIX}nb" --json >"$RES/headline-warmup-network.out"
else
  echo "network store: skipped (needs root, a running dockerd and local/runbook-host-busybox:1 from scripts/local-services.sh; BENCH_NETWORK=0 skips it)" | tee "$RES/headline-network-skipped.txt" >&2
fi

# ---------------------------------------------------------------- message bus hook (NATS)
# HOOK: the message bus. When the host has NATS configured (any RUNBOOKHOST_Nats__* variable), a tenant provisioned
# now records the NATS component and provision/verify below include it; this block adds the bus's own floor once the
# NATS steps exist (lib/Nats). Until then it says why it is skipped.
if env | grep -q '^RUNBOOKHOST_Nats__'; then
  NATS=1
  say "message bus: NATS configured; its steps are part of every provision/verify row below"
else
  NATS=0
  echo "message bus (NATS): skipped: not asked (BENCH_NATS=1 measures it on a bus initialised from the bench's secrets folder)" | tee "$RES/headline-nats-skipped.txt" >&2
fi

# ---------------------------------------------------------------- timed rounds
hf() { # hf NAME-OF-ROUND hyperfine-args...: one hyperfine call, its JSON kept per round
  local name="$1"; shift
  hyperfine --style none --export-json "$RES/$name.json" "$@" >"$RES/$name.txt" 2>&1 || { say "hyperfine $name failed (see $RES/$name.txt)"; cat "$RES/$name.txt" >&2; }
}
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r start: $(uptime)" >> "$RES/headline-load.txt"
  say "round $r/$ROUNDS: process start, warm verify, provision, deprovision ($RUNS runs each)"
  hf "h_start_r$r" -N -w 1 -r "$RUNS" -n "process start (--help)" "$RH --help"
  hf "h_verify_r$r" -N -w 1 -r "$RUNS" -n "run verify" "$RH run verify --tenant ${PREFIX}ra --json" "${B_VERIFY[@]}"
  hf "h_provision_r$r" -S bash -r "$RUNS" \
    -n "floor: CREATE DATABASE (psql -c)" "psql -qAt -d postgres -c \"CREATE DATABASE hfloor_${RUN}_\$($NEXT floor) TEMPLATE template0\"" \
    -n "shell recipe provision" "bash bench/shell-recipe.sh provision ${PREFIX}x\$($NEXT shell) \$SHELL_SECRETS" \
    -n "run provision" "\$RH run provision --tenant ${PREFIX}h\$($NEXT host) --json >/dev/null" "${B_PROVISION[@]}"
  hf "h_deprovision_r$r" -S bash -r "$RUNS" \
    -n "floor: DROP DATABASE (psql -c)" "psql -qAt -d postgres -c \"DROP DATABASE hfloor_${RUN}_\$($NEXT floordrop)\"" \
    -n "shell recipe deprovision" "bash bench/shell-recipe.sh deprovision ${PREFIX}x\$($NEXT shelldrop) \$SHELL_SECRETS" \
    -n "run deprovision" "\$RH run deprovision --tenant ${PREFIX}h\$($NEXT hostdrop) --json >/dev/null" "${B_DEPROVISION[@]}"
  if [ "$NETWORK" = 1 ]; then
    hf "h_network_r$r" -S bash -r "$RUNS" \
      -n "network floor: docker network create --internal" "docker network create --internal hfloornet${RUN}\$($NEXT netfloor) >/dev/null" \
      -n "run verify (docker network)" "env $NETENV \$RH run verify --tenant ${PREFIX}na --json >/dev/null" \
      -n "run provision (docker network)" "env $NETENV \$RH run provision --tenant ${PREFIX}n\$($NEXT nethost) --json >/dev/null"
  fi
  echo "round $r end: $(uptime)" >> "$RES/headline-load.txt"
done
say "cold first run: empty compile cache, $RUNS runs"
hf "h_cold" -N -r "$RUNS" --prepare "rm -rf $RUNBOOKHOST_Paths__Cache" -n "run verify, cold (empty compile cache)" "$RH run verify --tenant ${PREFIX}ra --json"

# where a warm run's time goes: RUNBOOKHOST_TIMING=1 traces (docs/configuration.md), median of RUNS each
say "profile: $RUNS timing traces each of a warm verify and provision"
mkdir -p "$RES/traces"
for i in $(seq 1 "$RUNS"); do
  RUNBOOKHOST_TIMING=1 "$RH" run verify --tenant "${PREFIX}ra" --json 2>"$RES/traces/verify-$i.txt" >/dev/null || true
  RUNBOOKHOST_TIMING=1 "$RH" run provision --tenant "${PREFIX}t$i" --json 2>"$RES/traces/provision-$i.txt" >/dev/null || true
done
{ echo "Warm \`run verify --tenant x\`:"; echo; python3 bench/timing.py "$RES"/traces/verify-*.txt; echo
  echo "Warm \`run provision --tenant x\`:"; echo; python3 bench/timing.py "$RES"/traces/provision-*.txt; } > "$RES/profile.md"

echo "$NETWORK $NATS" > "$RES/headline-flags"
python3 bench/headline.py "$RES" "$NETWORK" "$NATS" | tee "$RES/headline.md"
