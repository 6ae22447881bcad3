#!/usr/bin/env bash
# Report generation at fleet scale, one command:
#
#   bash bench/report.sh [TENANTS=1000] [NIGHTS=7] [CHECKS=26]
#
# Writes a synthetic signed evidence tree with the product's own writer and signer (bench/EvidenceFleet: per tenant a
# provision, a verify each night, one key rotation; a verify-fleet proof each night), then times `evidence verify`
# (the baseline: the report runs the same verification) and `runbook-host report` in each format. Prints a markdown
# table for docs/benchmarks.md on stdout. RH=<path to runbook-host> reuses a published host (bench/run.sh has one);
# otherwise the host is published to the scratch folder. Everything lives in /tmp/rbh-report-bench.* and is removed.
set -euo pipefail
TENANTS="${1:-1000}"; NIGHTS="${2:-7}"; CHECKS="${3:-26}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
say() { echo "bench/report: $(date +%H:%M:%S) $*" >&2; }
command -v /usr/bin/time >/dev/null || { say "installing GNU time"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }

SCRATCH="$(mktemp -d /tmp/rbh-report-bench.XXXXXX)"
trap 'rm -rf "$SCRATCH"' EXIT
if [ -z "${RH:-}" ]; then
  say "publishing the host"
  dotnet publish host -c Release -o "$SCRATCH/host" -nologo -v q >"$SCRATCH/publish.log" 2>&1 || { cat "$SCRATCH/publish.log"; exit 1; }
  RH="$SCRATCH/host/runbook-host"
fi

say "writing $TENANTS tenants x $NIGHTS nights x $CHECKS checks of signed evidence"
dotnet run -c Release --project bench/EvidenceFleet -- "$SCRATCH/fleet" "$TENANTS" "$NIGHTS" "$CHECKS" runbooks >&2
EVIDENCE="$SCRATCH/fleet/evidence"
KEY="$EVIDENCE/signing-key.pub.pem"
FILES=$(find "$EVIDENCE" -name '*.json' | wc -l)
MIB_IN=$(du -sm "$EVIDENCE" | cut -f1)

# timed NAME OUTPUT cmd...: one markdown row (wall and CPU seconds, peak RSS, output size)
timed() {
  local name="$1" output="$2"; shift 2
  /usr/bin/time -f '%e %U %S %M' -o "$SCRATCH/time" "$@" >"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err" || true
  read -r wall user sys rss < "$SCRATCH/time"
  local size="-"
  [ -n "$output" ] && [ -f "$output" ] && size=$(awk -v b="$(stat -c %s "$output")" 'BEGIN { printf "%.1f", b / 1048576 }')
  printf '| %s | %s | %s | %.1f | %d | %s |\n' "$name" "$FILES" "$wall" "$(echo "$user + $sys" | bc -l)" "$((rss / 1024))" "$size"
}

echo "### Report generation ($TENANTS tenants, $NIGHTS nights, $CHECKS checks per verify; $FILES evidence files, $MIB_IN MiB)"
echo
echo "| command | evidence files | wall s | CPU s | peak RSS MiB | output MiB |"
echo "|---|---|---|---|---|---|"
timed "evidence verify" "" "$RH" evidence verify "$EVIDENCE" --key "$KEY"
for format in html hdf junit; do
  timed "report --format $format" "$SCRATCH/report.$format" "$RH" report "$EVIDENCE" --key "$KEY" --runbooks runbooks --format "$format" -o "$SCRATCH/report.$format"
done
echo
echo "Machine: $(nproc) CPU, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; host $("$RH" --version 2>/dev/null | head -1 || echo unknown)."
