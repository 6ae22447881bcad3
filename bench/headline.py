#!/usr/bin/env python3
"""The issue-14 headline table from bench/headline.sh's hyperfine JSON (and, when bench/run.sh ran too, its
batched and fleet figures in figures.env): median (min–max) of every sample over all rounds, ratios, targets.

    headline.py RESULTS_DIR NETWORK(0|1) NATS(0|1)
"""
import glob
import json
import math
import os
import re
import statistics
import sys

res, network, nats = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1"
samples: dict[str, list[float]] = {}
for path in sorted(glob.glob(os.path.join(res, "h_*.json"))):
    for result in json.load(open(path))["results"]:
        samples.setdefault(result["command"], []).extend(result["times"])


def med(name: str) -> float:
    return statistics.median(samples[name]) if samples.get(name) else math.nan


def cell(name: str) -> str:
    s = samples.get(name)
    if not s:
        return "n/a"
    return f"{statistics.median(s) * 1000:,.0f} ms ({min(s) * 1000:,.0f}–{max(s) * 1000:,.0f}, n={len(s)})"


def x(a: float, b: float) -> str:
    return "n/a" if math.isnan(a) or math.isnan(b) or b == 0 else f"{a / b:.2f}×"


def verdict(ok) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "**missed**")


def ok_if(a: float, cond) -> object:
    return None if math.isnan(a) else cond(a)


figures = {}
fig_path = os.path.join(res, "figures.env")
if os.path.exists(fig_path):
    for line in open(fig_path):
        k, _, v = line.strip().partition("=")
        figures[k] = v


def fig(key: str) -> float:
    try:
        return float(figures[key])
    except (KeyError, ValueError):
        return math.nan


start, verify, cold = med("process start (--help)"), med("run verify"), med("run verify, cold (empty compile cache)")
prov, shell_prov, create = med("run provision"), med("shell recipe provision"), med("floor: CREATE DATABASE (psql -c)")
deprov, shell_deprov, drop = med("run deprovision"), med("shell recipe deprovision"), med("floor: DROP DATABASE (psql -c)")

w = print
w("| figure | runbook-host median (min–max, samples) | shell recipe | floor | headline ratio | target | verdict |")
w("|---|---:|---:|---:|---:|---|---|")
w(f"| warm `run verify --tenant x` | {cell('run verify')} | — | process start {cell('process start (--help)')} | "
  f"{x(verify, start)} of process start | ≤ 200 ms (≈ 2× start) | {verdict(ok_if(verify, lambda v: v <= 0.200))} |")
w(f"| warm `run provision --tenant x` | {cell('run provision')} | {cell('shell recipe provision')} | CREATE DATABASE {cell('floor: CREATE DATABASE (psql -c)')} | "
  f"shell ÷ host {x(shell_prov, prov)} | ≥ 1.0× (aim 1.5×) | {verdict(ok_if(prov, lambda p: shell_prov / p >= 1.0))} |")
w(f"| warm `run deprovision --tenant x` | {cell('run deprovision')} | {cell('shell recipe deprovision')} | DROP DATABASE {cell('floor: DROP DATABASE (psql -c)')} | "
  f"shell ÷ host {x(shell_deprov, deprov)} | — | |")
w(f"| cold first run (`run verify`, empty compile cache) | {cell('run verify, cold (empty compile cache)')} | — | — | {x(cold, verify)} of warm | ≤ 1.5 s | "
  f"{verdict(ok_if(cold, lambda c: c <= 1.5))} |")
n, p = fig("N"), figures.get("P", "4")
if not math.isnan(n):
    host_p = fig("host_provision_p_wall") / n
    shell_s = fig("shell_provision_wall") / n
    floor_c = fig("floor_create_wall") / n
    w(f"| provision, batched P={p}, per tenant ({n:.0f} tenants, median round) | {host_p * 1000:,.0f} ms | {shell_s * 1000:,.0f} ms | "
      f"CREATE DATABASE in one session {floor_c * 1000:,.0f} ms | shell ÷ host {x(shell_s, host_p)}; host ÷ floor {x(host_p, floor_c)} | "
      f"≥ 4× the recipe, ≤ 2× the floor | {verdict(ok_if(host_p, lambda h: shell_s / h >= 4 and h / floor_c <= 2))} |")
fleet = fig("fleet_verify_wall")
if not math.isnan(fleet):
    rss = fig("fleet_verify_rss_kib") / 1024
    w(f"| `run verify --all-tenants`, {figures.get('fleet_active_before_verify', '?')} tenants, with the pairwise proof | {fleet:,.1f} s | — | — | "
      f"peak RSS {rss:,.0f} MiB | ≤ 15 s, ≤ 300 MB | {verdict(fleet <= 15 and rss * 1.048576 <= 300)} |")
else:
    w("| `run verify --all-tenants`, 1,000 tenants | not run (BENCH_FLEET unset: `BENCH_FLEET=1000 bash bench/run.sh`) | | | | ≤ 15 s, ≤ 300 MB | n/a |")
if network:
    w(f"| network store (docker): warm `run verify` | {cell('run verify (docker network)')} | — | — | {x(med('run verify (docker network)'), verify)} of verify without it | — | |")
    w(f"| network store (docker): `run provision` | {cell('run provision (docker network)')} | — | `docker network create --internal` "
      f"{cell('network floor: docker network create --internal')} | {x(med('run provision (docker network)'), prov)} of provision without it | — | |")
else:
    w("| network store (docker) | skipped: needs root, dockerd and local/runbook-host-busybox:1 | | | | | |")
w("| message bus (NATS) | " + ("included in the provision/verify rows above (RUNBOOKHOST_Nats__* set)" if nats
                               else "skipped: no NATS configured on this host (RUNBOOKHOST_Nats__* unset)") + " | | | | | |")
w("")
compared = sorted(name for name in samples if name.endswith("]") and " [" in name)
if compared:
    w("A/B in the same rounds (RH_B, interleaved with the host above):")
    w("")
    w("| figure | this host | compared host | compared ÷ this |")
    w("|---|---:|---:|---:|")
    for name in compared:
        base = name[:name.rindex(" [")]
        w(f"| {name} | {cell(base)} | {cell(name)} | {x(med(name), med(base))} |")
    w("")
load = os.path.join(res, "headline-load.txt")
if os.path.exists(load):
    w("Load beside each round (`uptime`):")
    w("")
    for line in open(load):
        w("    " + re.sub(r"\s+", " ", line.strip()))
