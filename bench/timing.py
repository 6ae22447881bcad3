#!/usr/bin/env python3
"""Where a single run spends its time: the median of several RUNBOOKHOST_TIMING=1 traces (docs/configuration.md),
as a markdown table of phases (time since the previous mark, JIT-compiled methods and JIT time in that phase) and of
counted operations (connections, fsyncs, signing).

    timing.py TRACE_FILE...      (each file: the stderr of one run with RUNBOOKHOST_TIMING=1)
"""
import re
import statistics
import sys

MARK = re.compile(r"^timing:\s+([\d.]+) ms\s+(.+?)\s+jit\s+(\d+) methods\s+([\d.]+) ms\s+assemblies\s+(\d+)")
TOTAL = re.compile(r"^timing: total (.+?)\s+(\d+)x\s+([\d.]+) ms")

runs = []
for path in sys.argv[1:]:
    marks, totals = [], {}
    for line in open(path, errors="replace"):
        if m := MARK.match(line):
            marks.append((m.group(2), float(m.group(1)), int(m.group(3)), float(m.group(4)), int(m.group(5))))
        elif t := TOTAL.match(line):
            totals[t.group(1)] = (int(t.group(2)), float(t.group(3)))
    if marks:
        runs.append((marks, totals))
if not runs:
    print("no RUNBOOKHOST_TIMING traces found")
    sys.exit(0)

order = [name for name, *_ in runs[0][0]]
print(f"| phase (ends at the mark) | median ms in phase | ms since process start | methods JIT-compiled in phase | JIT ms in phase | assemblies loaded by then |")
print("|---|---:|---:|---:|---:|---:|")
for i, name in enumerate(order):
    rows = []
    for marks, _ in runs:
        if i < len(marks) and marks[i][0] == name:
            prev = marks[i - 1] if i > 0 else (None, 0.0, 0, 0.0, 0)
            rows.append((marks[i][1] - prev[1], marks[i][1], marks[i][2] - prev[2], marks[i][3] - prev[3], marks[i][4]))
    if not rows:
        continue
    med = [statistics.median(r[k] for r in rows) for k in range(5)]
    label = "process start → main (runtime start-up, before managed code)" if i == 0 else name
    print(f"| {label} | {med[0]:.1f} | {med[1]:.1f} | {med[2]:.0f} | {med[3]:.1f} | {med[4]:.0f} |")
print()
print(f"Counted operations (median over {len(runs)} runs; time overlaps the phases above):")
print()
print("| operation | count | total ms |")
print("|---|---:|---:|")
names = sorted({n for _, totals in runs for n in totals})
for name in names:
    counts = [t[name][0] for _, t in runs if name in t]
    ms = [t[name][1] for _, t in runs if name in t]
    print(f"| {name} | {statistics.median(counts):.0f} | {statistics.median(ms):.1f} |")
