#!/usr/bin/env python3
"""Run a command K times and print per-call wall times as JSON (bench/run.sh helper).

    timeit.py K [--before 'shell cmd'] [--env K=V]... -- cmd args...

--before runs (untimed) before every call, e.g. clearing the compile cache for cold runs.
Output: {"runs": [...seconds...], "median": s, "min": s, "max": s, "failed": n, "last_stdout": "..."}.
A non-zero exit counts as failed (the timing is still recorded).
"""
import json
import os
import statistics
import subprocess
import sys
import time


def main() -> None:
    args = sys.argv[1:]
    k = int(args.pop(0))
    before = None
    env = dict(os.environ)
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--before":
            before = args.pop(0)
        elif opt == "--env":
            key, _, value = args.pop(0).partition("=")
            env[key] = value
        else:
            sys.exit(f"timeit.py: unknown option {opt}")
    args.pop(0)
    runs, failed, last = [], 0, ""
    for _ in range(k):
        if before:
            subprocess.run(before, shell=True, check=True)
        t0 = time.perf_counter()
        p = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        runs.append(time.perf_counter() - t0)
        if p.returncode != 0:
            failed += 1
        last = p.stdout.decode(errors="replace")
    print(json.dumps({"runs": runs, "median": statistics.median(runs), "min": min(runs), "max": max(runs),
                      "failed": failed, "last_stdout": last[-4000:]}))


if __name__ == "__main__":
    main()
