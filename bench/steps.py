#!/usr/bin/env python3
"""Per-step durations from runbook-host evidence (bench/run.sh helper).

    steps.py EVIDENCE_DIR RUNBOOK TENANT...

For each tenant, the newest `*-<runbook>.json` evidence file is decoded (DSSE payload, in-toto
predicate). Prints JSON: per step name the mean/median/max of duration_ms, the run's wall time from
started_at..finished_at, the sum of step durations (the rest is engine overhead inside the run:
locks, evidence, between steps), and for checks the number of cross-tenant pairs proven (checks whose
test starts with `cross_` and whose result is DENIED).
"""
import base64
import glob
import json
import os
import statistics
import sys
from datetime import datetime


def ts(s: str) -> float:
    s = s.replace("Z", "+00:00")
    if "." in s:  # trim fractional seconds to 6 digits for fromisoformat
        head, rest = s.split(".", 1)
        frac, tz = rest[:rest.index("+")], rest[rest.index("+"):]
        s = f"{head}.{frac[:6].ljust(6, '0')}{tz}"
    return datetime.fromisoformat(s).timestamp()


def main() -> None:
    root, runbook, tenants = sys.argv[1], sys.argv[2], sys.argv[3:]
    steps: dict[str, list[float]] = {}
    order: list[str] = []
    walls, sums, checks, cross, cross_failed, missing = [], [], 0, 0, 0, 0
    for t in tenants:
        files = sorted(glob.glob(os.path.join(root, t, f"*-{runbook}.json")))
        if not files:
            missing += 1
            continue
        env = json.load(open(files[-1]))
        pred = json.loads(base64.b64decode(env["payload"]))["predicate"]
        total = 0.0
        for s in pred.get("steps", []):
            name = s.get("name", "?")
            d = float(s.get("duration_ms") or 0)
            if name not in steps:
                steps[name] = []
                order.append(name)
            steps[name].append(d)
            total += d
        sums.append(total)
        try:
            walls.append((ts(pred["finished_at"]) - ts(pred["started_at"])) * 1000)
        except Exception:
            pass
        for c in pred.get("checks", []):
            checks += 1
            if str(c.get("test", "")).startswith("cross_"):
                if c.get("result") == "DENIED":
                    cross += 1
                else:
                    cross_failed += 1

    def stat(v: list[float]) -> dict:
        return {"mean": statistics.mean(v), "median": statistics.median(v), "max": max(v), "n": len(v)} if v else {}

    print(json.dumps({
        "runbook": runbook, "tenants": len(tenants), "missing": missing,
        "steps": [{"name": n, **stat(steps[n])} for n in order],
        "run_wall_ms": stat(walls), "step_sum_ms": stat(sums),
        "checks": checks, "cross_pairs_denied": cross, "cross_pairs_not_denied": cross_failed,
    }, indent=1))


if __name__ == "__main__":
    main()
