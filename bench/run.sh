#!/usr/bin/env bash
# runbook-host benchmark: one command, writes docs/benchmarks.md with today's figures and the machine.
#
#   bash bench/run.sh [N] [FLEET]
#
#   N      tenants per variant for provision/deprovision comparisons (default 50)
#   FLEET  tenants for the fleet provision/verification/deprovision (default 0 = part 4 skipped: it takes several
#          minutes; BENCH_FLEET=1000 or a second argument turns it on), on
#          top of the 2 resident tenants. The registry has no tenant cap (tenants past 254 register without a
#          network octet), so the whole fleet is measured; the report extrapolates only if fewer than 1,000
#          tenants ended up active (a run that could not finish), and labels it so.
#   BENCH_ROUNDS        interleaved repetitions of part 1, median reported (default 3)
#   BENCH_PARALLELISM   runbook-host Run__Parallelism for the parallel runs (default 4, the product default)
#   BENCH_REPEAT        repetitions for per-call timings (default 10)
#   BENCH_R2R=0         skip the plain-IL comparison (the host published with -p:PublishReadyToRun=false, i.e.
#                       what `dotnet publish` produced before ReadyToRun became the default) and the perf profile
#   BENCH_KEEP=1        keep the scratch folder (/tmp/rbh-bench.*) for inspection
#   BENCH_FASTSTART=0   skip the opt-in fast-start publish (-p:FastStart=true: a composite crossgen of the whole
#                       framework, minutes on a busy 2-core machine) and its rows
#   BENCH_HEADLINE=0    skip part 0 (bench/headline.sh: the issue-14 single-run figures with hyperfine, the network
#                       store and the message-bus hook; its own knobs are documented there)
#
# Takes ≈ 15 minutes on 2 cores (N=50, 3 rounds), plus ≈ 5 with the fleet of 1000. The hand-written analysis appended to the
# report lives in bench/notes.md: update it when the figures change.
#
# Everything runs against scratch state: its own Paths__Secrets/Evidence/Cache/Logs under /tmp, its own
# registry database bench_<run>, tenant ids b<run>..., and is removed at the end (deprovision, drop the
# registry database, and a catalog sweep of anything left with the run's prefix).
# Raw outputs stay in bench/results/<timestamp>/ (git-ignored); docs/benchmarks.md is regenerated.
set -euo pipefail

N="${1:-50}"
FLEET="${2:-${BENCH_FLEET:-0}}"
P="${BENCH_PARALLELISM:-4}"
REPEAT="${BENCH_REPEAT:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

say() { echo "bench: $(date +%H:%M:%S) $*" >&2; }

# ---------------------------------------------------------------- services, build, scratch
say "starting local services (scripts/local-services.sh)"
# Assigned first so that a failure of the script stops this one (set -e ignores it inside eval "$(...)").
service_env=$(bash scripts/local-services.sh)
eval "$service_env"
# The machine's nats-server (the quickstart's) trusts only the PKI of the secrets folder that ran `nats init`, not the
# bench's scratch one: the bus is part of the figures only when asked, BENCH_NATS=1, on a machine whose bus was
# initialised from the secrets folder the bench is given (RUNBOOKHOST_Paths__Secrets).
if [ "${BENCH_NATS:-0}" != 1 ]; then
  unset RUNBOOKHOST_Nats__Url RUNBOOKHOST_Nats__ConfigFile RUNBOOKHOST_Nats__PidFile RUNBOOKHOST_Nats__StoreDir RUNBOOKHOST_Nats__MonitorUrl
fi
export PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres PGPASSWORD="${RUNBOOKHOST_LOCAL_PG_PASSWORD:-runbookhost-local}"
# The same transport for both sides of the comparison: the host's local default has SSL Mode=Disable on
# loopback (scripts/local-services.sh), so psql in the shell recipe runs without TLS too.
export PGSSLMODE=disable
export REDIS_ADMIN_USER=runbookhost_admin REDIS_ADMIN_PASS="${RUNBOOKHOST_LOCAL_REDIS_PASSWORD:-runbookhost-local}"
command -v /usr/bin/time >/dev/null || { say "installing GNU time"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }

RUN="$(python3 -c 'import random, string; print("".join(random.choices(string.ascii_lowercase, k=4)))')"
SCRATCH="$(mktemp -d /tmp/rbh-bench.XXXXXX)"
RES="$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RES"
FIG="$RES/figures.env"
: > "$FIG"
rec() { echo "$1=$2" >> "$FIG"; }

HOST_DIR="$SCRATCH/host"
say "publishing host (dotnet publish host -c Release; ReadyToRun by default, host/RunbookHost.Host.csproj)"
dotnet publish host -c Release -o "$HOST_DIR" -nologo -v q >"$RES/publish.log" 2>&1 || { cat "$RES/publish.log"; exit 1; }
RH="$HOST_DIR/runbook-host"
# size of the published host assembly: a ReadyToRun image carries native code and is several times the IL size
dll_kib() { du -k "$1/RunbookHost.Lib.dll" 2>/dev/null | cut -f1; }
rec host_lib_dll_kib "$(dll_kib "$HOST_DIR")"

export RUNBOOKHOST_Paths__Secrets="$SCRATCH/secrets" RUNBOOKHOST_Paths__Evidence="$SCRATCH/evidence"
export RUNBOOKHOST_Paths__Cache="$SCRATCH/cache" RUNBOOKHOST_Paths__Logs="$SCRATCH/logs"
export RUNBOOKHOST_Registry__Database="bench_$RUN" RUNBOOKHOST_Redis__AclSave=true
export RUNBOOKHOST_Run__Parallelism="$P"
# Every tenant reserves a private range now, even with the network provider off: the default pool (10.{octet}.0.0/16)
# holds 254, so a fleet past that needs the two-placeholder pool (docs/network.md).
export RUNBOOKHOST_Network__Pool="${RUNBOOKHOST_Network__Pool:-10.{a}.{b}.0/24}"
SHELL_SECRETS="$SCRATCH/shell-secrets"

psql_admin() { psql -qAt -v ON_ERROR_STOP=1 -d postgres "$@"; }
rcli() { redis-cli -h 127.0.0.1 -p 6379 --no-auth-warning --user "$REDIS_ADMIN_USER" --pass "$REDIS_ADMIN_PASS" "$@"; }

cleanup() {
  set +e
  say "cleanup: sweeping anything left with prefix b$RUN"
  for db in $(psql_admin -c "SELECT datname FROM pg_database WHERE datname LIKE 'tenant\\_b$RUN%' OR datname LIKE 'bfloor\\_$RUN%' OR datname = 'bench_$RUN'"); do
    psql_admin -c "DROP DATABASE \"$db\" WITH (FORCE)" >/dev/null
  done
  for role in $(psql_admin -c "SELECT rolname FROM pg_roles WHERE rolname LIKE 'tenant\\_b$RUN%'"); do
    psql_admin -c "DROP ROLE \"$role\"" >/dev/null
  done
  for user in $(rcli ACL USERS | grep "^tenant_b$RUN"); do rcli ACL DELUSER "$user" >/dev/null; done
  rcli --scan --pattern "tenant:b$RUN*" | xargs -r redis-cli -h 127.0.0.1 -p 6379 --no-auth-warning --user "$REDIS_ADMIN_USER" --pass "$REDIS_ADMIN_PASS" DEL >/dev/null
  rcli ACL SAVE >/dev/null
  [ "${BENCH_KEEP:-0}" = 1 ] && say "kept $SCRATCH" || rm -rf "$SCRATCH"
}
trap cleanup EXIT

ids() { local prefix="$1" count="$2"; for i in $(seq 1 "$count"); do printf 'b%s%s%04d\n' "$RUN" "$prefix" "$i"; done; }
tenant_args() { local t; for t in "$@"; do printf -- '--tenant\n%s\n' "$t"; done; }

# timed NAME cmd...: wall seconds and peak RSS (KiB) of one command via GNU time; stdout to $RES/NAME.out
timed() {
  local name="$1"; shift
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$RES/$name.time" "$@" >"$RES/$name.out" 2>"$RES/$name.err" || rc=$?
  t1=$(date +%s.%N)
  rec "${name}_wall" "$(echo "$t1 - $t0" | bc -l | sed 's/^\./0./')"
  rec "${name}_rss_kib" "$(tail -1 "$RES/$name.time")"
  rec "${name}_rc" "$rc"
  [ "$rc" = 0 ] || say "$name exited $rc (see $RES/$name.err)"
}

# host_json_summary NAME: passed/failed/compiled counts of a `run --json` output
host_json_summary() {
  python3 - "$RES/$1.out" "$1" >>"$FIG" <<'PY'
import json, sys
name = sys.argv[2]
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print(f"{name}_json=unparseable"); sys.exit(0)
runs = d.get("runs", [d])
print(f"{name}_passed={sum(1 for r in runs if r.get('exit_code') == 0)}")
print(f"{name}_failed={sum(1 for r in runs if r.get('exit_code') != 0)}")
print(f"{name}_compiled_runs={sum(1 for r in runs if r.get('compiled'))}")
print(f"{name}_compiler_loaded_runs={sum(1 for r in runs if r.get('compiler_loaded'))}")
PY
}

# ---------------------------------------------------------------- machine
rec date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
rec nproc "$(nproc)"
rec mem "$(free -m | awk '/^Mem:/ {print $2 " MiB total, " $7 " MiB available"}')"
rec cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
rec kernel "$(uname -r)"
rec os "$(. /etc/os-release && echo "$PRETTY_NAME")"
rec postgres "$(psql_admin -c 'SHOW server_version')"
rec redis "$(rcli INFO server | sed -n 's/^redis_version:\(.*\)\r\?$/\1/p' | tr -d '\r')"
rec dotnet "$(dotnet --version)"
rec age "$(age --version)"
rec loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
rec commit "$(git rev-parse --short HEAD)"
rec N "$N"; rec FLEET "$FLEET"; rec P "$P"; rec REPEAT "$REPEAT"; rec RUN "$RUN"

# ---------------------------------------------------------------- 0. headline (hyperfine, single runs side by side)
if [ "${BENCH_HEADLINE:-1}" = 1 ]; then
  say "0. headline: single runs side by side (bench/headline.sh)"
  RH="$RH" bash bench/headline.sh "$RES" || say "headline failed; part 0 is missing from the report"
fi

# ---------------------------------------------------------------- warm-up
# Two resident tenants (verify, decrypt and cross-tenant checks need another tenant), and the compile
# cache warmed for provision, verify and deprovision so part 1 measures runs, not Roslyn.
say "warm-up: provision 2 resident tenants, compile provision/verify/deprovision"
mapfile -t RESIDENT < <(ids r 2)
mapfile -t WARM < <(ids w 1)
timed warmup_provision "$RH" run provision $(tenant_args "${RESIDENT[@]}" "${WARM[@]}") --json
timed warmup_verify "$RH" run verify --tenant "${RESIDENT[0]}" --json
timed warmup_deprovision "$RH" run deprovision --tenant "${WARM[0]}" --json

# ---------------------------------------------------------------- 1. provision / deprovision, N tenants
# BENCH_ROUNDS (default 3) full repetitions, interleaved: each round runs the floor, the shell recipe, the host
# at P and at P=1, each on N fresh tenants (one host process per variant and round, as an operator would),
# so background load on this shared machine hits every variant alike. A variant's figure is its median
# round; every round stays in figures.env (…_r<k>_…) and the report shows the spread.
ROUNDS="${BENCH_ROUNDS:-3}"
rec ROUNDS "$ROUNDS"
SHELL_ALL='a=$1; d=$2; shift 2; for t in "$@"; do bash bench/shell-recipe.sh "$a" "$t" "$d"; done'
ALL_SER=()
rec checkpoints_req_before_floor "$(psql_admin -c 'SELECT checkpoints_req FROM pg_stat_bgwriter')"
for r in $(seq 1 "$ROUNDS"); do
  mapfile -t par < <(ids "p$r" "$N")
  mapfile -t ser < <(ids "s$r" "$N")
  mapfile -t sh < <(ids "x$r" "$N")
  ALL_SER+=("${ser[@]}")
  say "1. round $r/$ROUNDS, $N tenants per variant: floor, shell recipe, runbook-host P=$P, P=1"
  {
    echo "SELECT 'create_start ' || extract(epoch from clock_timestamp());"
    for i in $(seq 1 "$N"); do echo "CREATE DATABASE bfloor_${RUN}_${r}_$i TEMPLATE template0;"; done
    echo "SELECT 'create_end ' || extract(epoch from clock_timestamp());"
    for i in $(seq 1 "$N"); do echo "DROP DATABASE bfloor_${RUN}_${r}_$i;"; done
    echo "SELECT 'drop_end ' || extract(epoch from clock_timestamp());"
  } > "$RES/floor_r$r.sql"
  timed "floor_r$r" psql -qAt -v ON_ERROR_STOP=1 -d postgres -f "$RES/floor_r$r.sql"
  awk -v r="$r" '{t[$1]=$2} END {printf "floor_create_r%s_wall=%.3f\nfloor_drop_r%s_wall=%.3f\n", r, t["create_end"]-t["create_start"], r, t["drop_end"]-t["create_end"]}' "$RES/floor_r$r.out" >>"$FIG"

  timed "shell_provision_r$r" bash -c "$SHELL_ALL" _ provision "$SHELL_SECRETS" "${sh[@]}"
  timed "host_provision_p_r$r" "$RH" run provision $(tenant_args "${par[@]}") --json
  host_json_summary "host_provision_p_r$r"
  RUNBOOKHOST_Run__Parallelism=1 timed "host_provision_1_r$r" "$RH" run provision $(tenant_args "${ser[@]}") --json
  host_json_summary "host_provision_1_r$r"

  timed "shell_deprovision_r$r" bash -c "$SHELL_ALL" _ deprovision "$SHELL_SECRETS" "${sh[@]}"
  timed "host_deprovision_p_r$r" "$RH" run deprovision $(tenant_args "${par[@]}") --json
  host_json_summary "host_deprovision_p_r$r"
  RUNBOOKHOST_Run__Parallelism=1 timed "host_deprovision_1_r$r" "$RH" run deprovision $(tenant_args "${ser[@]}") --json
  host_json_summary "host_deprovision_1_r$r"
done
rec checkpoints_req_after_floor "$(psql_admin -c 'SELECT checkpoints_req FROM pg_stat_bgwriter')"
# a variant's wall = its median round; RSS the maximum, exit code the worst, run counts summed over rounds
python3 - "$FIG" >>"$FIG" <<'PY'
import re, statistics, sys
vals = {}
for line in open(sys.argv[1]):
    m = re.match(r"^(\w+?)_r(\d+)_(wall|rss_kib|rc|passed|failed|compiled_runs|compiler_loaded_runs)=(.*)$", line.strip())
    if m:
        try:
            vals.setdefault(f"{m.group(1)}_{m.group(3)}", []).append(float(m.group(4)))
        except ValueError:
            pass
for k, v in vals.items():
    if k.endswith("_wall"):
        print(f"{k}={statistics.median(v):.3f}")
    elif k.endswith(("_rss_kib", "_rc")):
        print(f"{k}={int(max(v))}")
    else:
        print(f"{k}={int(sum(v))}")
PY
# per-step durations from the P=1 evidence (no contention between the host's own tenants), all rounds
python3 bench/steps.py "$SCRATCH/evidence" provision "${ALL_SER[@]}" > "$RES/steps_provision_p1.json"
python3 bench/steps.py "$SCRATCH/evidence" deprovision "${ALL_SER[@]}" > "$RES/steps_deprovision_p1.json"

# ---------------------------------------------------------------- 2. cold vs warm `run verify`
say "2. cold vs warm run verify (one tenant), $REPEAT each"
python3 bench/timeit.py "$REPEAT" -- "$RH" list > "$RES/startup_list.json"
python3 bench/timeit.py "$REPEAT" --before "rm -rf '$SCRATCH/cache'" -- "$RH" run verify --tenant "${RESIDENT[0]}" --json > "$RES/verify_cold.json"
python3 bench/timeit.py 1 -- "$RH" run verify --tenant "${RESIDENT[0]}" --json > /dev/null
python3 bench/timeit.py "$REPEAT" -- "$RH" run verify --tenant "${RESIDENT[0]}" --json > "$RES/verify_warm.json"
# the opt-in fast-start publish (self-contained, one composite ReadyToRun image with the .NET libraries)
say "2. publishing the fast-start host (-p:FastStart=true) and timing it"
if [ "${BENCH_FASTSTART:-1}" != 1 ]; then
  say "2. fast-start publish skipped (BENCH_FASTSTART=0)"
elif dotnet publish host -c Release -p:FastStart=true -o "$SCRATCH/host-fast" -nologo -v q >"$RES/publish-fast.log" 2>&1; then
  RHF="$SCRATCH/host-fast/runbook-host"
  rec fast_dir_mib "$(du -sm "$SCRATCH/host-fast" | cut -f1)"
  python3 bench/timeit.py 1 -- "$RHF" run verify --tenant "${RESIDENT[0]}" --json > /dev/null
  python3 bench/timeit.py "$REPEAT" -- "$RHF" run verify --tenant "${RESIDENT[0]}" --json > "$RES/fast_verify_warm.json"
  python3 bench/timeit.py "$REPEAT" -- "$RHF" list > "$RES/fast_startup_list.json"
else
  say "fast-start publish failed (see $RES/publish-fast.log); rows skipped"
fi
# what TLS to PostgreSQL costs a single run (the local default has none on loopback; over a network it is required)
TLS_PG="${RUNBOOKHOST_Postgres__AdminConnectionString/SSL Mode=Disable/SSL Mode=Require}"
RUNBOOKHOST_Postgres__AdminConnectionString="$TLS_PG" python3 bench/timeit.py "$REPEAT" -- "$RH" run verify --tenant "${RESIDENT[0]}" --json > "$RES/verify_warm_tls.json"
python3 bench/steps.py "$SCRATCH/evidence" verify "${RESIDENT[0]}" > "$RES/steps_verify_one.json"

# ---------------------------------------------------------------- 3. secrets decrypt: native vs age -d
say "3. secrets decrypt: runbook-host vs age -d (Python subprocess, as spec §6.5), $REPEAT each"
T0="${RESIDENT[0]}"
KEY="$SCRATCH/secrets/tenants/$T0/key.age"
SOPSFILE="$SCRATCH/secrets/tenants/$T0/secrets.enc.yaml"
# the SOPS file's age stanza (the data key wrapped for the tenant's recipient): what sops itself runs age on
python3 - "$SOPSFILE" > "$SCRATCH/stanza.age" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
out, on = [], False
for l in lines:
    s = l.strip()
    if s == "-----BEGIN AGE ENCRYPTED FILE-----": on = True
    if on: out.append(s)
    if s == "-----END AGE ENCRYPTED FILE-----": break
print("\n".join(out))
PY
python3 bench/timeit.py "$REPEAT" -- "$RH" secrets decrypt "$SOPSFILE" --identity "$KEY" > "$RES/decrypt_native.json"
python3 bench/timeit.py "$REPEAT" -- age -d -i "$KEY" "$SCRATCH/stanza.age" > "$RES/decrypt_age.json"
python3 bench/timeit.py "$REPEAT" -- "$RH" age decrypt -i "$KEY" "$SCRATCH/stanza.age" > "$RES/decrypt_native_age.json"

# ---------------------------------------------------------------- 2b/3b. comparison: the host published as plain IL
# `dotnet publish` is ReadyToRun by default now (all figures above and below are that build). For comparison the
# same commit published without it (-p:PublishReadyToRun=false: the build shipped before), repeating 2 and 3, so
# the report shows what ReadyToRun buys. BENCH_R2R=0 skips it (and the perf profile).
if [ "${BENCH_R2R:-1}" = 1 ]; then
  say "2b. comparison: publishing host as plain IL (-p:PublishReadyToRun=false) and repeating 2 and 3"
  if dotnet publish host -c Release -p:PublishReadyToRun=false -o "$SCRATCH/host-il" -nologo -v q >"$RES/publish-il.log" 2>&1; then
    RH2="$SCRATCH/host-il/runbook-host"
    rec il_lib_dll_kib "$(dll_kib "$SCRATCH/host-il")"
    python3 bench/timeit.py "$REPEAT" -- "$RH2" list > "$RES/il_startup_list.json"
    python3 bench/timeit.py 1 -- "$RH2" run verify --tenant "${RESIDENT[0]}" --json > /dev/null
    python3 bench/timeit.py "$REPEAT" -- "$RH2" run verify --tenant "${RESIDENT[0]}" --json > "$RES/il_verify_warm.json"
    python3 bench/timeit.py "$REPEAT" -- "$RH2" secrets decrypt "$SOPSFILE" --identity "$KEY" > "$RES/il_decrypt_native.json"
  else
    say "plain-IL publish failed (see $RES/publish-il.log); comparison skipped"
  fi
  # where the CPU of one warm verify goes, by shared object (perf; JIT'd code shows as perf-<pid>.map / unknown)
  if command -v perf >/dev/null; then
    perf record -q -F 1999 -g -o "$SCRATCH/perf.data" -- "$RH" run verify --tenant "${RESIDENT[0]}" --json >/dev/null 2>&1 || true
    perf report -i "$SCRATCH/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%' > "$RES/perf_verify_dso.txt" || true
  fi
  /usr/bin/time -f '%e %U %S' -o "$RES/verify_cpu.time" "$RH" run verify --tenant "${RESIDENT[0]}" --json >/dev/null 2>&1 || true
  [ -n "${RH2:-}" ] && { /usr/bin/time -f '%e %U %S' -o "$RES/il_verify_cpu.time" "$RH2" run verify --tenant "${RESIDENT[0]}" --json >/dev/null 2>&1 || true; }
fi

# DROP DATABASE requests a checkpoint in PostgreSQL 15 (CREATE DATABASE with the WAL_LOG strategy does not): count them
rec checkpoints_req_before_fleet "$(psql_admin -c 'SELECT checkpoints_req FROM pg_stat_bgwriter')"

# part 2 cleared the compile cache: compile provision and deprovision again so the fleet measures runs
mapfile -t WARM2 < <(ids w 2)
timed rewarm_provision "$RH" run provision --tenant "${WARM2[1]}" --json
timed rewarm_deprovision "$RH" run deprovision --tenant "${WARM2[1]}" --json

# ---------------------------------------------------------------- 4. fleet
# FLEET fresh tenants on top of the 2 resident ones, provisioned by one process, then verified and deprovisioned
# with --all-tenants. No cap: tenants past the 254 network octets register without one (lib/Registry/TenantRegistry.cs).
rec FLEET "$FLEET"
if [ "$FLEET" -gt 0 ]; then
mapfile -t T_FLEET < <(ids f "$FLEET")
say "4a. fleet: provision $FLEET tenants (one process, parallelism $P)"
printf '%s\n' "${T_FLEET[@]}" > "$RES/fleet-tenants.txt"
timed fleet_provision "$RH" run provision $(tenant_args "${T_FLEET[@]}") --json
host_json_summary fleet_provision
rec fleet_active_before_verify "$(psql_admin -d "bench_$RUN" -c "SELECT count(*) FROM tenants WHERE status = 'active'" 2>/dev/null || echo n/a)"
rec fleet_without_octet "$(psql_admin -d "bench_$RUN" -c "SELECT count(*) FROM tenants WHERE status = 'active' AND tenant_octet IS NULL" 2>/dev/null || echo n/a)"
say "4b. fleet: run verify --all-tenants"
rec loadavg_before_fleet_verify "$(cut -d' ' -f1-3 /proc/loadavg)"
timed fleet_verify "$RH" run verify --all-tenants --json
host_json_summary fleet_verify
python3 bench/steps.py "$SCRATCH/evidence" verify "${T_FLEET[@]}" > "$RES/steps_fleet_verify.json"
python3 bench/steps.py "$SCRATCH/evidence" verify _fleet > "$RES/steps_fleet_proof.json" || true   # the fleet-wide proof
if [ -n "${RHF:-}" ]; then
  say "4b. fleet: run verify --all-tenants again, fast-start publish"
  timed fleet_verify_fast "$RHF" run verify --all-tenants --json
  host_json_summary fleet_verify_fast
fi
say "4c. fleet: run deprovision --all-tenants"
timed fleet_deprovision "$RH" run deprovision --all-tenants --json
host_json_summary fleet_deprovision

rec checkpoints_req_after_fleet "$(psql_admin -c 'SELECT checkpoints_req FROM pg_stat_bgwriter')"
else
  say "4. fleet: skipped (opt-in: BENCH_FLEET=1000 bash bench/run.sh)"
fi
rec loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
cp "$SCRATCH"/logs/*.json* "$RES/" 2>/dev/null || true

# ---------------------------------------------------------------- report
# the headline again, now with parts 1 and 4 (batched provision, fleet verify) in figures.env
[ -f "$RES/headline-flags" ] && python3 bench/headline.py "$RES" $(cat "$RES/headline-flags") > "$RES/headline.md"
say "writing docs/benchmarks.md"
python3 bench/report.py "$RES" > docs/benchmarks.md
say "done: docs/benchmarks.md (raw: $RES)"
