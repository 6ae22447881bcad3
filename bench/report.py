#!/usr/bin/env python3
"""Renders docs/benchmarks.md from one bench/results/<timestamp>/ folder (bench/run.sh helper).

    report.py RESULTS_DIR > docs/benchmarks.md

Figures come only from that folder. The hand-written interpretation (why a target is missed, where
the time goes) lives in bench/notes.md and is appended verbatim under "Analysis".
"""
import json
import os
import sys

res = sys.argv[1]
fig: dict[str, str] = {}
for line in open(os.path.join(res, "figures.env")):
    if "=" in line:
        k, _, v = line.rstrip("\n").partition("=")
        fig[k] = v


def f(key: str, default: float = float("nan")) -> float:
    try:
        return float(fig[key])
    except (KeyError, ValueError):
        return default


def load(name: str) -> dict:
    try:
        return json.load(open(os.path.join(res, name)))
    except Exception:
        return {}


N = int(f("N", 0))
FLEET = int(f("FLEET", 0))
P = fig.get("P", "?")
out: list[str] = []
w = out.append


def ms(s: float) -> str:
    return "n/a" if s != s else f"{s * 1000:,.0f} ms"


def sec(s: float) -> str:
    return "n/a" if s != s else f"{s:,.2f} s"


def ratio(a: float, b: float) -> str:
    return "n/a" if a != a or b != b or b == 0 else f"{a / b:.2f}×"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def rc_note(name: str) -> str:
    parts = []
    if fig.get(f"{name}_rc", "0") != "0":
        parts.append(f"exit {fig[name + '_rc']}")
    if f"{name}_failed" in fig and fig[f"{name}_failed"] != "0":
        parts.append(f"{fig[name + '_failed']} tenant run(s) failed")
    return ("; ".join(parts)) or "ok"


w("# Benchmarks")
w("")
w("Measured by `bash bench/run.sh` — generated from one run; the raw outputs are in "
  f"`bench/results/{os.path.basename(os.path.normpath(res))}/` on the machine that ran it (git-ignored). "
  "Re-run the command to refresh every figure below; interpretation is in [Analysis](#analysis).")
w("")
w("## Machine and run")
w("")
w("| | |")
w("|---|---|")
for key, label in [("date", "date (UTC)"), ("commit", "commit measured"), ("nproc", "`nproc`"), ("cpu", "CPU model"),
                   ("mem", "memory"), ("os", "OS"), ("kernel", "kernel"), ("postgres", "PostgreSQL"), ("redis", "Redis"),
                   ("dotnet", ".NET SDK"), ("age", "age CLI"), ("loadavg_start", "load average at start (1/5/15 min)"),
                   ("loadavg_before_fleet_verify", "load average before fleet verify"), ("loadavg_end", "load average at end")]:
    w(f"| {label} | {fig.get(key, 'n/a')} |")
w(f"| command | `bash bench/run.sh {N} {FLEET}` (N={N}, fleet={FLEET}, parallelism P={P}, repetitions={fig.get('REPEAT')}, rounds={fig.get('ROUNDS', 1)}) |")
w("")
il_kib, r2r_kib = f("il_lib_dll_kib"), f("host_lib_dll_kib")
w("Host: `dotnet publish host -c Release` (ReadyToRun by default since host/RunbookHost.Host.csproj sets "
  "`PublishReadyToRun` when publishing"
  + (f"; `RunbookHost.Lib.dll` {r2r_kib:,.0f} KiB published vs {il_kib:,.0f} KiB as plain IL" if il_kib == il_kib and r2r_kib == r2r_kib else "")
  + "), run from the repository root. Scratch `Paths__Secrets/Evidence/Cache/Logs` "
  f"under /tmp, registry database `bench_{fig.get('RUN')}`, `Redis__AclSave=true` (the local server has an aclfile, "
  "and the shell recipe runs `ACL SAVE` too). MinIO and Qdrant are off (skipped) in both the product and the recipe. "
  "PostgreSQL and Redis are shared with other work on this machine; the load average above shows how busy it was.")
w("")

# ---------------------------------------------------------------- 0
headline = os.path.join(res, "headline.md")
w("## 0. Headline: one run each, side by side (issue 14 targets)")
w("")
if os.path.exists(headline):
    w("`bash bench/headline.sh` (part 0 of the bench): hyperfine, every variant in each of several interleaved rounds, "
      "median of all samples with the lowest–highest sample; the shell recipe is bench/shell-recipe.sh (psql, redis-cli, age), "
      "the floors are one `psql -c` per CREATE/DROP DATABASE and the host's own `--help`. The batched and fleet rows come from "
      "parts 1 and 4 below.")
    w("")
    w(open(headline).read().rstrip())
else:
    w("Not run (bench/headline.sh failed or was skipped; see the bench output).")
w("")
profile = os.path.join(res, "profile.md")
if os.path.exists(profile):
    w("### Where a single warm run spends its time (`RUNBOOKHOST_TIMING=1`, median of the traces)")
    w("")
    w(open(profile).read().rstrip())
    w("")

# ---------------------------------------------------------------- 1
w(f"## 1. Provision and deprovision, {N} tenants")
w("")
w("Commands (tenant ids `b<run>p0001`…):")
w("")
w("```")
w(f"runbook-host run provision   --tenant … ×{N} --json        # RUNBOOKHOST_Run__Parallelism={P}, then =1")
w(f"runbook-host run deprovision --tenant … ×{N} --json")
w(f"for t in …×{N}; do bash bench/shell-recipe.sh provision   $t DIR; done   # spec §6.2, §6.3, §6.4 (age), §3.1, §5.2")
w(f"for t in …×{N}; do bash bench/shell-recipe.sh deprovision $t DIR; done   # spec §3.4, §5.4")
w(f"psql -f floor.sql   # CREATE DATABASE x TEMPLATE template0 ×{N}, then DROP DATABASE ×{N}, one connection")
w("```")
w("")
R = int(f("ROUNDS", 0))
rows = [
    ("floor: `CREATE DATABASE … TEMPLATE template0`", "floor_create_wall", None),
    ("floor: `DROP DATABASE`", "floor_drop_wall", None),
    ("shell recipe provision (serial)", "shell_provision_wall", "shell_provision"),
    ("shell recipe deprovision (serial)", "shell_deprovision_wall", "shell_deprovision"),
    (f"runbook-host provision, P={P}", "host_provision_p_wall", "host_provision_p"),
    (f"runbook-host deprovision, P={P}", "host_deprovision_p_wall", "host_deprovision_p"),
    ("runbook-host provision, P=1", "host_provision_1_wall", "host_provision_1"),
    ("runbook-host deprovision, P=1", "host_deprovision_1_wall", "host_deprovision_1"),
]
w(f"| what | wall ({N} tenants{', median round' if R else ''}) | per tenant | peak RSS | status |")
w("|---|---:|---:|---:|---|")
for label, key, name in rows:
    total = f(key)
    rss = f(f"{name}_rss_kib") / 1024 if name else float("nan")
    w(f"| {label} | {sec(total)} | {ms(total / N if N else float('nan'))} | "
      f"{'n/a' if rss != rss else f'{rss:,.0f} MiB'} | {rc_note(name) if name else 'ok'} |")
w("")
sp, sd = f("shell_provision_wall") / N, f("shell_deprovision_wall") / N
hp, hd = f("host_provision_p_wall") / N, f("host_deprovision_p_wall") / N
h1, h1d = f("host_provision_1_wall") / N, f("host_deprovision_1_wall") / N
fc, fd = f("floor_create_wall") / N, f("floor_drop_wall") / N
cb, ca = f("checkpoints_req_before_floor"), f("checkpoints_req_after_floor")
if cb == cb and ca == ca:
    w(f"PostgreSQL requested checkpoints (`pg_stat_bgwriter.checkpoints_req`, server-wide, so other sessions' too) during part 1: "
      f"{ca - cb:.0f}, for {R or 1} × 4 × {N} = {(R or 1) * 4 * N} `DROP DATABASE`s by the bench (floor, shell, host P={P}, host P=1).")
    w("")
w("Ratios per tenant (shell ÷ host: how many times faster the product is; host ÷ floor: how far above a bare CREATE DATABASE):")
w("")
w("| | P=" + str(P) + " | P=1 | target | verdict (P=" + str(P) + ") |")
w("|---|---:|---:|---|---|")
w(f"| provision: shell recipe ÷ runbook-host | {ratio(sp, hp)} | {ratio(sp, h1)} | ≥ 4× | {verdict(sp / hp >= 4) if hp == hp and hp else 'n/a'} |")
w(f"| provision: runbook-host ÷ CREATE DATABASE floor | {ratio(hp, fc)} | {ratio(h1, fc)} | ≤ 2× | {verdict(hp / fc <= 2) if fc == fc and fc else 'n/a'} |")
w(f"| deprovision: shell recipe ÷ runbook-host | {ratio(sd, hd)} | {ratio(sd, h1d)} | — | |")
w(f"| deprovision: runbook-host ÷ DROP DATABASE floor | {ratio(hd, fd)} | {ratio(h1d, fd)} | — | |")
w("")
R = int(f("ROUNDS", 0))
if R:
    def spread(a: str, b: str) -> str:
        vals = [f(f"{a}_r{r}_wall") / f(f"{b}_r{r}_wall") for r in range(1, R + 1)
                if f(f"{a}_r{r}_wall") == f(f"{a}_r{r}_wall") and f(f"{b}_r{r}_wall")]
        return f"{min(vals):.2f}×–{max(vals):.2f}×" if vals else "n/a"
    w(f"Each variant ran {R} times on {N} fresh tenants, interleaved (round k: floor, shell, host P={P}, host P=1), so "
      "background load on this shared machine hits every variant alike; the table shows each variant's median round. "
      "Spread of the per-round ratios (lowest–highest round): "
      f"provision shell ÷ host P={P}: {spread('shell_provision', 'host_provision_p')}; "
      f"provision host P={P} ÷ CREATE floor: {spread('host_provision_p', 'floor_create')}; "
      f"deprovision shell ÷ host P={P}: {spread('shell_deprovision', 'host_deprovision_p')}.")
    w("")
for fname, title in [("steps_provision_p1.json", "provision"), ("steps_deprovision_p1.json", "deprovision")]:
    st = load(fname)
    if not st:
        continue
    w(f"Where a {title} spends its time (P=1, from the evidence's per-step `duration_ms`, mean over {st.get('tenants')} tenants; "
      "skipped MinIO/Qdrant steps omitted):")
    w("")
    w("| step | mean | median | max |")
    w("|---|---:|---:|---:|")
    for s in st.get("steps", []):
        if s.get("max", 0) < 0.05:
            continue
        w(f"| {s['name']} | {s['mean']:.1f} ms | {s['median']:.1f} ms | {s['max']:.1f} ms |")
    rw, ss = st.get("run_wall_ms", {}), st.get("step_sum_ms", {})
    if rw:
        w(f"| *sum of steps* | {ss.get('mean', 0):.1f} ms | {ss.get('median', 0):.1f} ms | |")
        w(f"| *run (evidence started_at → finished_at)* | {rw['mean']:.1f} ms | {rw['median']:.1f} ms | {rw['max']:.1f} ms |")
    w("")

# ---------------------------------------------------------------- 2
cold, warm, lst = load("verify_cold.json"), load("verify_warm.json"), load("startup_list.json")
w("## 2. Cold vs warm `run verify` (compile cache), one tenant")
w("")
w("```")
w("runbook-host run verify --tenant <t> --json   # cold: Paths__Cache removed before every call")
w("runbook-host list                             # process start-up floor (no database, no compile)")
w("```")
w("")
w(f"| | median | min | max | runs |")
w("|---|---:|---:|---:|---:|")
ilv, ill, ild = load("il_verify_warm.json"), load("il_startup_list.json"), load("il_decrypt_native.json")
tls, fast, fastl = load("verify_warm_tls.json"), load("fast_verify_warm.json"), load("fast_startup_list.json")
for label, d in [("cold `run verify` (compiles, Roslyn loaded)", cold), ("warm `run verify` (cache hit)", warm),
                 ("warm `run verify`, PostgreSQL over TLS (`SSL Mode=Require`, same loopback server)", tls), ("`runbook-host list`", lst),
                 ("warm `run verify`, fast-start publish (`-p:FastStart=true`: self-contained, composite ReadyToRun)", fast),
                 ("`runbook-host list`, fast-start publish", fastl),
                 ("comparison, plain-IL publish (`-p:PublishReadyToRun=false`): warm `run verify`", ilv),
                 ("comparison, plain-IL publish: `runbook-host list`", ill)]:
    if d:
        w(f"| {label} | {ms(d['median'])} | {ms(d['min'])} | {ms(d['max'])} | {len(d['runs'])} |")
w("")
for label, d in [("cold", cold), ("warm", warm)]:
    try:
        r = json.loads(d["last_stdout"])
        r = r.get("runs", [r])[0]
        w(f"- {label}: `compiled: {str(r.get('compiled')).lower()}`, `compiler_loaded: {str(r.get('compiler_loaded')).lower()}`")
    except Exception:
        pass
if cold and warm:
    w(f"- cold ÷ warm: {ratio(cold['median'], warm['median'])}; warm target ≤ 200 ms end to end: {verdict(warm['median'] <= 0.2)} "
      f"({ms(warm['median'])}{'' if warm['median'] <= 0.2 else ', ' + format(warm['median'] / 0.2, '.2f') + '× the target'})")
def cpu(name: str) -> str:
    try:
        e, u, sy = open(os.path.join(res, name)).read().split()[:3]
        return f"wall {float(e):.2f} s, user CPU {float(u):.2f} s, system CPU {float(sy):.2f} s"
    except Exception:
        return "n/a"
if os.path.exists(os.path.join(res, "verify_cpu.time")):
    w(f"- one warm `run verify` under `/usr/bin/time`: {cpu('verify_cpu.time')}; plain-IL publish for comparison: {cpu('il_verify_cpu.time')}")
if warm and fast:
    w(f"- fast-start publish (`-p:FastStart=true`, {f('fast_dir_mib'):,.0f} MiB folder) vs the default, warm `run verify` median: "
      f"{ms(fast['median'])} vs {ms(warm['median'])} ({ms(warm['median'] - fast['median'])} saved)")
if warm and ilv:
    w(f"- ReadyToRun (the default publish) vs plain IL, warm `run verify` median: {ms(warm['median'])} vs {ms(ilv['median'])} "
      f"({ms(ilv['median'] - warm['median'])} saved)")
try:
    dso = [l.strip() for l in open(os.path.join(res, "perf_verify_dso.txt")) if l.strip() and l.strip()[0].isdigit()][:6]
    if dso:
        w("- `perf record` of one warm `run verify`, CPU samples by shared object: " + "; ".join(" ".join(x.split()) for x in dso))
except Exception:
    pass
st = load("steps_verify_one.json")
if st and st.get("steps"):
    w("")
    w("Warm verify, per step (evidence `duration_ms`, last run):")
    w("")
    w("| step | ms |")
    w("|---|---:|")
    for s in st["steps"]:
        w(f"| {s['name']} | {s['median']:.1f} |")
    if st.get("run_wall_ms"):
        w(f"| *run inside the process (started_at → finished_at)* | {st['run_wall_ms']['median']:.1f} |")
w("")

# ---------------------------------------------------------------- 3
nat, agd, nage = load("decrypt_native.json"), load("decrypt_age.json"), load("decrypt_native_age.json")
w("## 3. `secrets decrypt`: native vs spawning `age -d`")
w("")
w("Per call, each a new process started from Python `subprocess.run` (the spec §6.5 style), median of "
  f"{fig.get('REPEAT')}:")
w("")
w("| call | median | min | max |")
w("|---|---:|---:|---:|")
for label, d in [("`runbook-host secrets decrypt secrets.enc.yaml --identity key.age` (whole SOPS file: data key, MAC, every value)", nat),
                 ("`age -d -i key.age stanza` (only unwraps the SOPS data key; sops would still have to do the rest)", agd),
                 ("`runbook-host age decrypt -i key.age stanza` (same work as the line above, native)", nage),
                 ("comparison: `runbook-host secrets decrypt`, plain-IL publish (`-p:PublishReadyToRun=false`)", ild)]:
    if d:
        w(f"| {label} | {ms(d['median'])} | {ms(d['min'])} | {ms(d['max'])} |")
w("")
if nat and agd:
    w(f"runbook-host ÷ age per call: {ratio(nat['median'], agd['median'])}. Inside a run no process is spawned at all: "
      "the encryption step of a verify (one decrypt with the tenant's key plus up to three foreign-key attempts) is in the step table of §2.")
w("")

# ---------------------------------------------------------------- 4
w(f"## 4. Fleet: {FLEET} tenants")
w("")
vw, vr, active, measured = float("nan"), float("nan"), 0, False
if not FLEET:
    w("Not run: the fleet part is opt-in (`BENCH_FLEET=1000 bash bench/run.sh`, or `bash bench/run.sh 50 1000`); it takes "
      "several minutes on 2 cores.")
    w("")
else:
    w("```")
    w(f"runbook-host run provision --tenant … ×{FLEET} --json      # P={P}, PostgreSQL + Redis + keys + SOPS + registry + evidence")
    w("runbook-host run verify --all-tenants --json            # each of the three under /usr/bin/time -f %M (peak RSS)")
    w("runbook-host run deprovision --all-tenants --json")
    w("```")
    w("")
    # tenants active at the fleet verify (registry count); the verify's `--json` also lists one `_fleet` run, the
    # fleet-wide proof written after the per-tenant runs, so its passed + failed is one more
    active = int(f("fleet_active_before_verify", 0)) or max(int(f("fleet_verify_passed", 0) + f("fleet_verify_failed", 0)) - 1, 0) or FLEET + 2
    # A 1,000-tenant run is measured as is; only a run that could not finish (fewer than 1,000 tenants active at the
    # fleet verify) is extrapolated, and labelled so.
    measured = active >= 1000
    w(f"Fleet tenants: {FLEET} fresh + 2 resident; active at the fleet verify: {fig.get('fleet_active_before_verify', active)} "
      f"(of which {fig.get('fleet_without_octet', 'n/a')} registered without a network octet: tenants past the 254 octets "
      "are registered without one, lib/Registry/TenantRegistry.cs).")
    w("")
    if not measured:
        w(f"**Only {active} tenants were active at the fleet verify** (the fleet provision did not finish; see its status "
          "below), so the 1,000-tenant figures are **extrapolated** linearly from them and labelled so.")
        w("")
    w("| what | wall | per tenant | peak RSS | status |")
    w("|---|---:|---:|---:|---|")
    for label, name, count in [(f"provision {FLEET}", "fleet_provision", FLEET), (f"`verify --all-tenants` ({active} active)", "fleet_verify", active),
                               (f"`verify --all-tenants` again, fast-start publish (`-p:FastStart=true`)", "fleet_verify_fast", active),
                               (f"`deprovision --all-tenants` ({active})", "fleet_deprovision", active)]:
        wall = f(f"{name}_wall")
        if wall != wall:
            continue
        rss = f(f"{name}_rss_kib") / 1024
        w(f"| {label} | {sec(wall)} | {ms(wall / count if count else float('nan'))} | {'n/a' if rss != rss else f'{rss:,.0f} MiB'} | {rc_note(name)} |")
    w("")
    kb, ka = f("checkpoints_req_before_fleet"), f("checkpoints_req_after_fleet")
    if kb == kb and ka == ka:
        w(f"PostgreSQL requested checkpoints (server-wide) during the fleet provision + verify + deprovision: {ka - kb:.0f}.")
        w("")
    fv = load("steps_fleet_verify.json")
    vw, vr = f("fleet_verify_wall"), f("fleet_verify_rss_kib") / 1024
    if FLEET and vw == vw:
        if measured:
            w(f"- 1,000-tenant verification ≤ 15 s: {verdict(vw <= 15)} ({sec(vw)}{'' if vw <= 15 else f', {vw / 15:.1f}× the target'}); "
              f"RSS ≤ 300 MB: {verdict(vr * 1.048576 <= 300)} ({vr:,.0f} MiB = {vr * 1.048576:,.0f} MB)")
        else:
            ext = vw / active * 1000
            w(f"- **Extrapolation** (measured {active} tenants, linear per-tenant cost, not measured at 1,000): "
              f"≈ {sec(ext)} for 1,000 — target ≤ 15 s {verdict(ext <= 15)} (extrapolated); RSS measured at {active}: {vr:,.0f} MiB")
    if fv:
        w(f"- cross-tenant pairs proven DENIED (from the verify evidence of the {fv.get('tenants')} fleet tenants; `cross_*` checks): "
          f"{fv.get('cross_pairs_denied')} (not denied: {fv.get('cross_pairs_not_denied')}); checks in total {fv.get('checks')}. "
          "The `--json` summary itself does not report pairs.")
        w("")
        w("Fleet verify, per step under parallelism (evidence `duration_ms`):")
        w("")
        w("| step | mean | median | max |")
        w("|---|---:|---:|---:|")
        for s in fv.get("steps", []):
            if s.get("max", 0) < 0.05:
                continue
            w(f"| {s['name']} | {s['mean']:.1f} ms | {s['median']:.1f} ms | {s['max']:.1f} ms |")
        if fv.get("run_wall_ms"):
            w(f"| *run (started_at → finished_at)* | {fv['run_wall_ms']['mean']:.1f} ms | {fv['run_wall_ms']['median']:.1f} ms | {fv['run_wall_ms']['max']:.1f} ms |")
    w("")
    fp = load("steps_fleet_proof.json")
    if fp and fp.get("run_wall_ms"):
        w(f"After the per-tenant runs, `verify --all-tenants` writes the fleet-wide proof (evidence `_fleet/`, one more run in the "
          f"`--json` summary): {fp['run_wall_ms']['median']:.0f} ms, {fp.get('checks')} checks.")
        w("")

# ---------------------------------------------------------------- targets
w("## Targets")
w("")
w("| target | measured | verdict |")
w("|---|---|---|")
if hp == hp and hp:
    w(f"| provision ≥ 4× faster than the shell recipe | {ratio(sp, hp)} (P={P}), {ratio(sp, h1)} (P=1) | {verdict(sp / hp >= 4)} |")
    w(f"| provision ≤ 2× the CREATE DATABASE floor per tenant | {ratio(hp, fc)} (P={P}), {ratio(h1, fc)} (P=1) | {verdict(hp / fc <= 2)} |")
if warm:
    w(f"| warm `run verify`, one tenant, ≤ 200 ms end to end | {ms(warm['median'])} (default publish) | {verdict(warm['median'] <= 0.2)} |")
if fast:
    w(f"| … with the fast-start publish (`-p:FastStart=true`) | {ms(fast['median'])} | {verdict(fast['median'] <= 0.2)} |")
if vw == vw:
    lab = f" ({active} tenants)" if measured else f" (measured at {active} tenants; **extrapolated** linearly to 1,000: {sec(vw / active * 1000)})"
    w(f"| 1,000-tenant verify ≤ 15 s | {sec(vw)}{lab} | {verdict((vw if measured else vw / active * 1000) <= 15)} |")
    fvw, fvr = f("fleet_verify_fast_wall"), f("fleet_verify_fast_rss_kib") / 1024
    if fvw == fvw:
        w(f"| … with the fast-start publish | {sec(fvw)}, {fvr:,.0f} MiB | {verdict(fvw <= 15 and fvr * 1.048576 <= 300)} |")
    w(f"| … with RSS ≤ 300 MB | {vr:,.0f} MiB ({vr * 1.048576:,.0f} MB) at {active} tenants{'' if measured else ' (not measured at 1,000)'} | {verdict(vr * 1.048576 <= 300)}{'' if measured else ' at ' + str(active)} |")
w("")

notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
if os.path.exists(notes):
    w("## Analysis")
    w("")
    w(open(notes).read().rstrip())
    w("")
print("\n".join(out))
